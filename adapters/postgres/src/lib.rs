//! Chameleon's PostgreSQL adapter: schema provisioning, the tenant directory and the menu and
//! order repositories, over a deadpool connection pool.
//!
//! Isolation is a mechanism here, not a habit: the repositories reach tenant data only through a
//! [`TenantTx`], a transaction that runs under the tenant's own database role with the tenant's
//! schema as its only search path, both set with `SET LOCAL` in the message that opens it. The
//! role can use its own schema and nothing else, so a query aimed at the wrong schema fails with
//! "permission denied" instead of returning another tenant's rows. Schemas, roles and grants are
//! created by [`provisioning`], in one transaction per tenant.
//!
//! Provisioning is a module of this adapter, not an adapter of its own: it shares the pool, the
//! SQLSTATE translation and the stored form of a theme with the repositories, and splitting it
//! out would mean publishing those internals (`docs/architecture.md`). The privileged half of
//! it lives in the database (SECURITY DEFINER functions, `migrations/public/`), so the role the
//! service connects as needs no privilege beyond its tenants' (`docs/database-roles.md`).
//!
//! Storage is cut by table: [`tables`] has one module per stored table (its columns, SQL and row
//! codecs), and each repository composes the table modules it needs, never another
//! repository's SQL (the `layering` tests hold them to it).
//!
//! # Layout
//! - [`tables`]: one module per stored table.
//! - [`directory`]: [`PgDirectory`], tenants by domain or id; its cache policy in
//!   [`directory::cache`].
//! - [`menu`]: [`PgMenu`], a tenant's menu, the storefront's view cached.
//! - [`orders`]: [`PgOrders`], a tenant's orders.
//! - [`export`]: [`PgExport`], everything of a tenant, streamed.
//! - [`certificates`]: [`PgCertificates`], what the certificate issuer remembers.
//! - [`provisioning`]: [`PgProvisioner`], the install, the migrations and the fleet migrator.
//! - [`tenant_tx`]: [`TenantTx`], the tenant-bound transaction.
//! - [`pool`]: the connection pool and the per-connection statement cache.
//! - [`tls`]: TLS to PostgreSQL as `sslmode` asks, over rustls.
//! - [`cache`]: the time-bounded cache behind the directory and the menu.
//! - [`invalidation`]: changes shared between instances (`LISTEN`/`NOTIFY`), the [`Listener`].
//! - [`sqlstate`]: reading PostgreSQL error codes at the seam.

pub mod cache;
pub mod certificates;
pub mod directory;
pub mod export;
pub mod invalidation;
#[cfg(test)]
mod layering;
pub mod menu;
pub mod orders;
pub mod pool;
pub mod provisioning;
pub mod slot_counts;
pub mod sqlstate;
pub mod staff;
pub mod tables;
pub mod tenant_tx;
pub mod tls;

pub use certificates::PgCertificates;
pub use directory::{DirectoryCacheSettings, PgDirectory};
pub use export::PgExport;
pub use invalidation::{Change, Listener, ListenerSettings, SharedCache, SyncState};
pub use menu::{MenuCacheSettings, PgMenu};
pub use orders::PgOrders;
pub use pool::{PgPool, PgSettings, PoolStats, SessionLimits};
pub use provisioning::{InstallSettings, OWNER_ROLE, PgProvisioner, install, install_at};
pub use staff::PgStaff;
pub use tenant_tx::TenantTx;
