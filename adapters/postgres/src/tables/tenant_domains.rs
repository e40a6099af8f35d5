//! `public.tenant_domains`: every domain a tenant answers on (its primary one included), unique
//! across all tenants. Written by the `chameleon_sys` domain functions; read to resolve a
//! `Host` and to list a tenant's domains.

use anyhow::Context as _;
use chameleon_core::tenant::{
    Certificate, CertificateStatus, Domain, TenantDetails, TenantDomain, TenantId,
};

use super::tenants::{self, columns};
use crate::pool::PgPool;
use crate::sqlstate::AtSeam as _;

/// The tenant that answers on domain `$1`.
pub const TENANT_BY_DOMAIN: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM public.tenant_domains d JOIN public.tenants t ON t.id = d.tenant_id WHERE d.domain = $1"
);

/// Every registered domain with its tenant's id.
pub const ALL: &str = "SELECT tenant_id, domain FROM public.tenant_domains";

/// Tenant `$1`'s row once per domain (`other_domain`) with where its certificate stands, the
/// primary domain first.
pub const DETAILS: &str = concat!(
    "SELECT ",
    columns!(),
    ", d.domain AS other_domain, c.status AS certificate_status, \
     c.not_after AS certificate_not_after, c.last_error AS certificate_error \
     FROM public.tenants t \
     JOIN public.tenant_domains d ON d.tenant_id = t.id \
     LEFT JOIN public.domain_certificates c ON c.domain = d.domain \
     WHERE t.id = $1 \
     ORDER BY d.domain = t.domain DESC, d.domain"
);

/// Adds domain `$2` to tenant `$1` (as its primary when `$3`): `ok`, `not_found` or
/// `too_many`; a domain any tenant has fails on [`PRIMARY_KEY`].
pub const ADD: &str = "SELECT chameleon_sys.add_tenant_domain($1, $2, $3)";

/// Removes domain `$2` from tenant `$1`: `ok`, `not_found`, `no_such_domain` or `last_domain`.
pub const REMOVE: &str = "SELECT chameleon_sys.remove_tenant_domain($1, $2)";

/// The constraint a domain taken twice violates.
pub const PRIMARY_KEY: &str = "tenant_domains_pkey";

/// Reads tenant `id` with its domains, from the database (no cache).
pub async fn read_details(pool: &PgPool, id: TenantId) -> anyhow::Result<Option<TenantDetails>> {
    let mut conn = pool.get().await?;
    let statement = conn.prepared(DETAILS).await?;
    let rows = conn
        .client()
        .query(&statement, &[&id.as_uuid()])
        .await
        .at_seam()
        .context("reading a tenant's details")?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let tenant = tenants::from_row(first)?;
    let domains = rows
        .iter()
        .map(|row| {
            let domain = Domain::parse(row.try_get("other_domain")?)?;
            Ok(TenantDomain {
                primary: domain == tenant.domain,
                certificate: certificate_of(row)?,
                domain,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Some(TenantDetails { tenant, domains }))
}

/// The certificate columns of a [`DETAILS`] row (none: no row, nothing asked for yet).
fn certificate_of(row: &tokio_postgres::Row) -> anyhow::Result<Certificate> {
    let status: Option<&str> = row.try_get("certificate_status")?;
    Ok(match status {
        None => Certificate::default(),
        Some(status) => Certificate {
            status: CertificateStatus::parse(status)
                .with_context(|| format!("a certificate status of none: {status:?}"))?,
            not_after: row.try_get("certificate_not_after")?,
            last_error: row.try_get::<_, Option<String>>("certificate_error")?,
        },
    })
}
