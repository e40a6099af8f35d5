//! Schema provisioning: a tenant's row, schema, role, grants and tables in one transaction, and
//! fleet migrations.
//!
//! Provisioning a tenant is ONE transaction: one call of the SECURITY DEFINER function
//! `chameleon_sys.provision_tenant`, which inserts the routing row in `public.tenants`, creates
//! the schema `tenant_<hex>` and the role `tenant_<hex>` (NOLOGIN, usage of that schema and
//! nothing else), grants the role to the serving role, and applies every stored tenant migration
//! in the schema. Any failure rolls all of it back: no row, no schema, no role.
//!
//! The privileged work happens in the database, as the owner role, behind a function with
//! validated arguments and a fixed `search_path`: the role the service connects as cannot create
//! roles or schemas itself (`docs/database-roles.md`), so a stolen credential cannot either.
//!
//! `migrate_all` brings every existing tenant to the latest stored tenant migration, each tenant
//! in a transaction of its own, and costs two small queries when there is nothing to do. It
//! runs as the owner (`chameleon migrate`).
//!
//! # Layout
//! - [`install`]: roles, control-plane migrations, stored tenant migrations, grants.
//! - [`fleet`]: the fleet's state and tenant-by-tenant migration, for `chameleon migrate`.
//! - [`migrations`]: the embedded `public` and `tenant` migration sets.
//! - this module: [`PgProvisioner`], the [`TenantProvisioner`].

pub mod fleet;
pub mod install;
pub mod migrations;

use anyhow::Context as _;
use chameleon_core::ports::{
    DeprovisionError, MigrateAllError, MigrationReport, ProvisionTenantError, TenantProvisioner,
};
use chameleon_core::tenant::{
    Domain, NewTenant, SchemaName, Tenant, TenantDetails, TenantId, TenantStatus,
};
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use uuid::Uuid;

use crate::directory::{hours_to_json, read_details, theme_to_json};
use crate::pool::PgPool;
use crate::sqlstate::{AtSeam as _, classify, is_unique_violation};

pub use install::{
    DEFAULT_LOCK_WAIT, InstallSettings, OWNER_ROLE, TENANTS_GROUP, citus_version, install,
    install_at,
};

const PROVISION: &str = "SELECT chameleon_sys.provision_tenant($1, $2, $3, $4, $5)";
const TRADING: &str =
    "SELECT 1 FROM chameleon_sys.update_tenant($1, NULL, NULL, NULL, $2, $3, $4, true, $5)";
const COUNT_TENANTS: &str = "SELECT count(*) FROM public.tenants";
const BEHIND: &str = "SELECT id FROM public.tenants \
     WHERE schema_version < (SELECT coalesce(max(version), 0) FROM chameleon_sys.tenant_migrations) \
     ORDER BY id";
const MIGRATE_TENANT: &str = "SELECT chameleon_sys.migrate_tenant($1)";
const DROP_TENANT: &str = "SELECT chameleon_sys.drop_tenant($1, $2)";

/// How many tenants `migrate_all` migrates at once.
const MIGRATION_PARALLELISM: usize = 4;

/// [`TenantProvisioner`] for PostgreSQL.
///
/// Provisioning needs the serving role's `EXECUTE` on `chameleon_sys.provision_tenant` and
/// nothing else; `migrate_all` needs the owner role (or a superuser).
#[derive(Debug, Clone)]
pub struct PgProvisioner {
    pool: PgPool,
}

impl PgProvisioner {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    async fn migrate_one(&self, id: Uuid) -> anyhow::Result<bool> {
        let conn = self.pool.get().await?;
        let applied: i32 = conn
            .client()
            .query_one(MIGRATE_TENANT, &[&id])
            .await
            .at_seam()
            .with_context(|| format!("migrating tenant {id}"))?
            .get(0);
        Ok(applied > 0)
    }

    /// [`TenantProvisioner::provision`] under an id the caller chose, so the caller can tell what
    /// a failure would have left behind (tests do exactly that).
    pub async fn provision_with_id(
        &self,
        id: TenantId,
        new: NewTenant,
    ) -> Result<Tenant, ProvisionTenantError> {
        let schema = SchemaName::for_tenant(id);
        let started = std::time::Instant::now();
        let mut conn = self.pool.get().await?;
        let statement = conn.prepared(PROVISION).await.context("preparing")?;
        let theme = theme_to_json(&new.theme);
        let hash: &[u8] = new.manager_key_hash.as_bytes();
        let settings = &new.settings;
        let hours = settings.opening_hours.as_ref().map(hours_to_json);
        // One transaction: the function does everything or nothing, then the trading
        // settings go on the new row.
        let provisioned = async {
            let tx = conn.client_mut().transaction().await?;
            tx.query_one(
                &statement,
                &[
                    &id.as_uuid(),
                    &new.domain.as_str(),
                    &new.name.as_str(),
                    &theme,
                    &hash,
                ],
            )
            .await?;
            tx.execute(
                TRADING,
                &[
                    &id.as_uuid(),
                    &settings.currency.code(),
                    &settings.locale.as_str(),
                    &settings.timezone.as_str(),
                    &hours,
                ],
            )
            .await?;
            tx.commit().await
        }
        .await;
        metrics::histogram!(
            "chameleon_tenant_provisioning_duration_seconds",
            "outcome" => if provisioned.is_ok() { "ok" } else { "failed" },
        )
        .record(started.elapsed().as_secs_f64());
        match provisioned {
            Ok(_) => Ok(Tenant {
                id,
                schema,
                domain: new.domain,
                name: new.name,
                theme: new.theme,
                status: TenantStatus::Active,
                settings: new.settings,
                manager_key_hash: new.manager_key_hash,
            }),
            // A taken primary domain, or a domain another tenant has as a secondary one.
            Err(err)
                if is_unique_violation(&err, "tenants_domain_key")
                    || is_unique_violation(&err, "tenant_domains_pkey") =>
            {
                Err(ProvisionTenantError::DuplicateDomain(new.domain))
            }
            Err(err) => Err(classify(err)
                .context(format!("provisioning {schema}"))
                .into()),
        }
    }
}

impl TenantProvisioner for PgProvisioner {
    async fn provision(&self, new: NewTenant) -> Result<Tenant, ProvisionTenantError> {
        self.provision_with_id(TenantId::from_uuid(Uuid::new_v4()), new)
            .await
    }

    async fn deprovision(
        &self,
        id: TenantId,
        confirm: &Domain,
    ) -> Result<TenantDetails, DeprovisionError> {
        // What is about to go, for the caller's caches; read outside the removal's transaction,
        // so a domain added in between would be missed here (the trigger's notification
        // still reaches every cache).
        let details = read_details(&self.pool, id)
            .await?
            .ok_or(DeprovisionError::NotFound(id))?;
        let started = std::time::Instant::now();
        let conn = self.pool.get().await?;
        // One statement, so one transaction: schema, role, secret, row and domains, or nothing.
        let outcome: String = conn
            .client()
            .query_one(DROP_TENANT, &[&id.as_uuid(), &confirm.as_str()])
            .await
            .at_seam()
            .with_context(|| format!("removing tenant {id}"))?
            .try_get(0)
            .context("removing a tenant")?;
        match outcome.as_str() {
            "ok" => {
                metrics::histogram!("chameleon_tenant_removal_duration_seconds")
                    .record(started.elapsed().as_secs_f64());
                Ok(details)
            }
            "not_found" => Err(DeprovisionError::NotFound(id)),
            "wrong_confirmation" => Err(DeprovisionError::WrongConfirmation),
            other => Err(anyhow::anyhow!("drop_tenant answered {other:?}").into()),
        }
    }

    async fn migrate_all(&self) -> Result<MigrationReport, MigrateAllError> {
        let (total, behind) = {
            let conn = self.pool.get().await?;
            let client = conn.client();
            let total: i64 = client
                .query_one(COUNT_TENANTS, &[])
                .await
                .at_seam()
                .context("counting tenants")?
                .try_get(0)
                .context("counting tenants")?;
            let behind: Vec<Uuid> = client
                .query(BEHIND, &[])
                .await
                .at_seam()
                .context("finding tenants behind")?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()
                .context("reading tenants behind")?;
            (total, behind)
        };
        let migrated = stream::iter(behind)
            .map(|id| self.migrate_one(id))
            .buffer_unordered(MIGRATION_PARALLELISM)
            .try_fold(0usize, |count, migrated| async move {
                Ok(count + usize::from(migrated))
            })
            .await?;
        Ok(MigrationReport {
            tenants: usize::try_from(total).unwrap_or(usize::MAX),
            migrated,
        })
    }
}
