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
//! Every existing tenant is brought to the latest stored tenant migration by the one fleet
//! migrator, [`fleet`] (what `chameleon migrate`, a service migrating at start, the tests and
//! `make bench` run), as the owner, each tenant in a transaction of its own; a tenant
//! provisioned later gets every stored migration in its provisioning transaction.
//!
//! # Layout
//! - [`install`]: roles, control-plane migrations, stored tenant migrations, grants.
//! - [`fleet`]: the fleet migrator: the fleet's state, and every tenant behind migrated.
//! - [`migrations`]: the embedded `public` and `tenant` migration sets, and the Citus forms.
//! - [`statements`]: a migration split into its statements (for distributed schemas).
//! - this module: [`PgProvisioner`], the [`TenantProvisioner`].

pub mod fleet;
pub mod install;
pub mod migrations;
pub mod statements;

use anyhow::Context as _;
use chameleon_core::pickup::PickupSettings;
use chameleon_core::ports::{DeprovisionError, ProvisionTenantError, TenantProvisioner};
use chameleon_core::tenant::{
    Domain, NewTenant, SchemaName, Tenant, TenantDetails, TenantId, TenantStatus,
};
use uuid::Uuid;

use crate::pool::PgPool;
use crate::sqlstate::{AtSeam as _, classify, is_unique_violation};
use crate::tables::tenant_domains::{self, read_details};
use crate::tables::tenants::{self, hours_to_json, theme_to_json};

pub use install::{
    DEFAULT_LOCK_WAIT, InstallSettings, OWNER_ROLE, TENANTS_GROUP, citus_version, install,
    install_at,
};

/// [`TenantProvisioner`] for PostgreSQL.
///
/// Provisioning needs the serving role's `EXECUTE` on `chameleon_sys.provision_tenant` and
/// nothing else.
#[derive(Debug, Clone)]
pub struct PgProvisioner {
    pool: PgPool,
}

impl PgProvisioner {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
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
        let statement = conn
            .prepared(tenants::PROVISION)
            .await
            .context("preparing")?;
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
                tenants::SET_TRADING,
                &[
                    &id.as_uuid(),
                    &settings.currency.code(),
                    &settings.locale.as_str(),
                    &settings.timezone.as_str(),
                    &hours,
                ],
            )
            .await?;
            // Only when not the defaults the columns hold already: provisioning stays one
            // statement shorter for nearly every tenant.
            if settings.pickup != PickupSettings::default() {
                let pickup = tenants::PickupArgs::all(id, &settings.pickup);
                tx.execute(tenants::UPDATE_PICKUP, &pickup.params()).await?;
            }
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
                acting: None,
            }),
            // A taken primary domain, or a domain another tenant has as a secondary one.
            Err(err)
                if is_unique_violation(&err, tenants::DOMAIN_KEY)
                    || is_unique_violation(&err, tenant_domains::PRIMARY_KEY) =>
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
            .query_one(tenants::DROP, &[&id.as_uuid(), &confirm.as_str()])
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
}
