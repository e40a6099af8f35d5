//! Schema provisioning: a tenant's row, schema, role, grants and migrations in one transaction,
//! and fleet migrations.
//!
//! Provisioning a tenant is ONE transaction: the routing row in `public.tenants`,
//! `CREATE SCHEMA tenant_<hex>`, `CREATE ROLE tenant_<hex>` (NOLOGIN) with usage of that schema
//! and nothing else, and every tenant migration, run by refinery inside that same transaction
//! (its history table lands in the tenant schema). Any failure rolls all of it back: no row, no
//! schema, no role.
//!
//! `migrate_all` brings every existing tenant to the latest tenant migration, each tenant in a
//! transaction of its own, and costs two small queries when there is nothing to do.
//!
//! # Layout
//! - [`migrations`]: the embedded `public` and `tenant` migration sets; [`migrate_public`].
//! - this module: [`PgProvisioner`], the [`TenantProvisioner`].
//! - [`refinery_tx`]: refinery's async traits for a transaction we own.

pub mod migrations;
pub mod refinery_tx;

use std::sync::Arc;

use anyhow::Context as _;
use chameleon_core::ports::{
    MigrateAllError, MigrationReport, ProvisionTenantError, TenantProvisioner,
};
use chameleon_core::tenant::{NewTenant, SchemaName, Tenant, TenantId};
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use refinery::{Migration, Runner};
use tokio_postgres::Transaction;
use uuid::Uuid;

use crate::directory::theme_to_json;
use crate::pool::PgPool;
use crate::sqlstate::is_unique_violation;
use migrations::{latest_version, tenant_migrations};
use refinery_tx::InTransaction;

pub use migrations::migrate_public;

const INSERT_TENANT: &str = "INSERT INTO public.tenants \
     (id, schema_name, domain, name, theme, manager_key_hash, schema_version) \
     VALUES ($1, $2, $3, $4, $5, $6, 0)";
const SET_VERSION: &str = "UPDATE public.tenants SET schema_version = $2 WHERE id = $1";
const COUNT_TENANTS: &str = "SELECT count(*) FROM public.tenants";
const BEHIND: &str =
    "SELECT id, schema_name FROM public.tenants WHERE schema_version < $1 ORDER BY id";
const LOCK_TENANT: &str = "SELECT schema_version FROM public.tenants WHERE id = $1 FOR UPDATE";

/// How many tenants `migrate_all` migrates at once.
const MIGRATION_PARALLELISM: usize = 4;

/// [`TenantProvisioner`] for PostgreSQL.
///
/// The service's own database role needs (see `docs/database-roles.md`): ownership of the
/// database, or `CREATE` on it (to create schemas); `CREATEROLE` (to create the tenant roles); and
/// nothing else. It should be `NOINHERIT`, so the tenant roles it is granted give it nothing
/// until a transaction explicitly switches to one.
#[derive(Clone)]
pub struct PgProvisioner {
    pool: PgPool,
    migrations: Arc<Vec<Migration>>,
    latest: i32,
}

impl std::fmt::Debug for PgProvisioner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgProvisioner")
            .field("migrations", &self.migrations.len())
            .field("latest", &self.latest)
            .finish_non_exhaustive()
    }
}

impl PgProvisioner {
    /// A provisioner applying the tenant migrations embedded from `migrations/tenant`.
    pub fn new(pool: PgPool) -> Self {
        Self::with_tenant_migrations(pool, tenant_migrations())
    }

    /// A provisioner applying `migrations` instead: for tests that add a failing migration, and
    /// for `migrate_all` tests that add a new one.
    pub fn with_tenant_migrations(pool: PgPool, mut migrations: Vec<Migration>) -> Self {
        migrations.sort_by_key(Migration::version);
        let latest = latest_version(&migrations);
        Self {
            pool,
            migrations: Arc::new(migrations),
            latest,
        }
    }

    /// The tenant schema version this provisioner brings tenants to.
    pub fn latest_version(&self) -> i32 {
        self.latest
    }

    /// Runs the tenant migrations in `tx`, whose `search_path` is the tenant's schema, and records
    /// the version reached on the tenant's row.
    async fn migrate_schema(&self, tx: &Transaction<'_>, id: TenantId) -> anyhow::Result<bool> {
        let report = Runner::new(&self.migrations)
            .set_abort_divergent(true)
            .run_async(&mut InTransaction(tx))
            .await
            .context("running the tenant migrations")?;
        tx.execute(SET_VERSION, &[&id.as_uuid(), &self.latest])
            .await
            .context("recording the tenant's schema version")?;
        Ok(!report.applied_migrations().is_empty())
    }

    async fn migrate_one(&self, id: Uuid, schema: String) -> anyhow::Result<bool> {
        let schema = SchemaName::parse(&schema)
            .with_context(|| format!("tenant {id} has a malformed schema name"))?;
        let mut conn = self.pool.get().await?;
        let tx = conn.client_mut().transaction().await?;
        // Row lock: two `migrate_all` runs never migrate one schema at the same time, and the
        // second sees the first's version and skips.
        let version: i32 = tx
            .query_one(LOCK_TENANT, &[&id])
            .await
            .context("locking the tenant row")?
            .try_get(0)?;
        if version >= self.latest {
            return Ok(false);
        }
        tx.batch_execute(&format!("SET LOCAL search_path TO \"{schema}\""))
            .await?;
        let migrated = self
            .migrate_schema(&tx, TenantId::from_uuid(id))
            .await
            .with_context(|| format!("migrating {schema}"))?;
        tx.commit().await?;
        Ok(migrated)
    }
}

impl TenantProvisioner for PgProvisioner {
    async fn provision(&self, new: NewTenant) -> Result<Tenant, ProvisionTenantError> {
        self.provision_with_id(TenantId::from_uuid(Uuid::new_v4()), new)
            .await
    }

    async fn migrate_all(&self) -> Result<MigrationReport, MigrateAllError> {
        let (total, behind) = {
            let conn = self.pool.get().await?;
            let client = conn.client();
            let total: i64 = client
                .query_one(COUNT_TENANTS, &[])
                .await
                .context("counting tenants")?
                .try_get(0)
                .context("counting tenants")?;
            let behind = client
                .query(BEHIND, &[&self.latest])
                .await
                .context("finding tenants behind")?;
            (total, behind)
        };
        let behind: Vec<(Uuid, String)> = behind
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<_, tokio_postgres::Error>>()
            .context("reading tenants behind")?;
        let migrated = stream::iter(behind)
            .map(|(id, schema)| self.migrate_one(id, schema))
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

impl PgProvisioner {
    /// [`TenantProvisioner::provision`] under an id the caller chose, so the caller can tell what
    /// a failure would have left behind (tests do exactly that).
    pub async fn provision_with_id(
        &self,
        id: TenantId,
        new: NewTenant,
    ) -> Result<Tenant, ProvisionTenantError> {
        let schema = SchemaName::for_tenant(id);
        let mut conn = self.pool.get().await?;
        let insert = conn.prepared(INSERT_TENANT).await.context("preparing")?;
        let tx = conn
            .client_mut()
            .transaction()
            .await
            .context("starting the provisioning transaction")?;

        // The routing row goes first: a concurrent provisioning of the same domain waits on the
        // unique index until this transaction ends, then fails with a duplicate.
        //
        // `schema` is `tenant_` and 32 hex digits by construction (see `SchemaName`), which is
        // what makes splicing it into DDL (which takes no bind parameters) safe.
        let ddl = format!(
            "CREATE SCHEMA \"{schema}\";
             CREATE ROLE \"{schema}\" NOLOGIN NOINHERIT;
             GRANT USAGE ON SCHEMA \"{schema}\" TO \"{schema}\";
             -- The service switches to the tenant's role with SET ROLE, which a non-superuser
             -- may only do as a member. A superuser needs no membership, and skipping it keeps
             -- pg_auth_members from growing by one row per tenant.
             DO $$ BEGIN
                 IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
                     EXECUTE format('GRANT %I TO %I', '{schema}', current_user);
                 END IF;
             END $$;
             SET LOCAL search_path TO \"{schema}\""
        );
        let theme = theme_to_json(&new.theme);
        let hash: &[u8] = new.manager_key_hash.as_bytes();
        let inserted = futures_util::future::try_join(
            tx.execute(
                &insert,
                &[
                    &id.as_uuid(),
                    &schema.as_str(),
                    &new.domain.as_str(),
                    &new.name.as_str(),
                    &theme,
                    &hash,
                ],
            ),
            tx.batch_execute(&ddl),
        )
        .await;
        if let Err(err) = inserted {
            if is_unique_violation(&err, "tenants_domain_key") {
                return Err(ProvisionTenantError::DuplicateDomain(new.domain));
            }
            return Err(anyhow::Error::new(err)
                .context(format!(
                    "creating the tenant row, schema and role of {schema}"
                ))
                .into());
        }

        self.migrate_schema(&tx, id).await?;
        tx.commit().await.context("committing the provisioning")?;
        Ok(Tenant {
            id,
            schema,
            domain: new.domain,
            name: new.name,
            theme: new.theme,
            manager_key_hash: new.manager_key_hash,
        })
    }
}
