//! Test support: a real PostgreSQL for every test, and a database of its own.
//!
//! The server is, in order of preference:
//! 1. the one `DATABASE_URL` points at (its user must be able to create databases and roles);
//! 2. `127.0.0.1:5432`, user `postgres`, if something answers there;
//! 3. a private cluster this crate initialises and starts under the system's temp directory
//!    (left running for the next test binary; `make test` stops it at the end).
//!
//! Each [`TestDb`] is a fresh database cloned from a template that already holds the `public`
//! migrations (named after their fingerprint, so editing a migration makes a new template). When
//! the `TestDb` is dropped, even by a failing test, the database is dropped and so are the tenant
//! roles its tenants created, since roles belong to the whole cluster.
//!
//! # Layout
//! - [`server`]: finding or starting the server.
//! - [`TestDb`]: a database per test.

pub mod server;

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use chameleon_postgres::{PgPool, PgSettings};
use chameleon_provisioning::migrations::public_migrations_fingerprint;
use tokio_postgres::{Client, Config, NoTls};
use uuid::Uuid;

/// A database of one test's own, dropped with its tenant roles when this value is dropped.
#[derive(Debug)]
pub struct TestDb {
    name: String,
    url: String,
    pool: PgPool,
    extra_roles: Arc<Mutex<Vec<String>>>,
}

impl TestDb {
    /// A fresh database with the `public` migrations applied and no tenants.
    pub async fn new() -> TestDb {
        Self::with_pool_size(8).await
    }

    /// Like [`TestDb::new`], with a pool of `size` connections.
    pub async fn with_pool_size(size: usize) -> TestDb {
        Self::create(size)
            .await
            .expect("could not create a test database")
    }

    async fn create(size: usize) -> anyhow::Result<TestDb> {
        let server = server::url()?;
        let template = ensure_template(&server).await?;
        let name = format!("chameleon_test_{}", Uuid::new_v4().simple());
        let admin = connect(&server).await?;
        admin
            .batch_execute(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
            ))
            .await
            .with_context(|| format!("creating {name} from {template}"))?;
        let url = with_dbname(&server, &name);
        let mut settings = PgSettings::new(url.clone());
        settings.max_connections = size;
        Ok(TestDb {
            name,
            pool: PgPool::new(&settings)?,
            url,
            extra_roles: Arc::default(),
        })
    }

    /// The pool the adapters under test should use.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A connection string for this database, as the server's administrative user.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A separate administrative connection, for inspecting what the adapters wrote.
    pub async fn inspect(&self) -> Client {
        connect(&self.url)
            .await
            .expect("could not connect to the test database")
    }

    /// Has `role`, a role the test created itself, dropped with the database.
    pub fn drop_role_afterwards(&self, role: &str) {
        self.extra_roles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(role.to_owned());
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let url = self.url.clone();
        let extra = self
            .extra_roles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        // Drop runs inside the test's runtime, which cannot be blocked on: clean up from a thread
        // with a runtime of its own, and wait for it so the next test starts from a clean slate.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(drop_database(&url, &name, extra))
        });
        match cleanup.join() {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("leaving test database {} behind: {err:#}", self.name),
            Err(_) => eprintln!(
                "leaving test database {} behind: cleanup panicked",
                self.name
            ),
        }
    }
}

async fn drop_database(url: &str, name: &str, mut roles: Vec<String>) -> anyhow::Result<()> {
    {
        let db = connect(url).await?;
        for row in db
            .query("SELECT schema_name FROM public.tenants", &[])
            .await
            .context("listing tenant roles")?
        {
            roles.push(row.try_get(0)?);
        }
    }
    let admin = connect(&server::url()?).await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .with_context(|| format!("dropping {name}"))?;
    for role in roles {
        admin
            .batch_execute(&format!("DROP ROLE IF EXISTS \"{role}\""))
            .await
            .with_context(|| format!("dropping role {role}"))?;
    }
    Ok(())
}

/// Connects, driving the connection on the current runtime.
pub async fn connect(url: &str) -> anyhow::Result<Client> {
    let (client, connection) = url
        .parse::<Config>()
        .context("parsing a connection string")?
        .connect(NoTls)
        .await
        .context("connecting to PostgreSQL")?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// `url` with its database replaced by `dbname`.
pub fn with_dbname(url: &str, dbname: &str) -> String {
    // Key/value form is what `server::url` produces; a later `dbname=` wins in libpq and in
    // tokio-postgres alike.
    if url.contains("://") {
        let mut config = url.parse::<Config>().expect("a valid URL");
        config.dbname(dbname);
        server::to_key_value(&config)
    } else {
        format!("{url} dbname={dbname}")
    }
}

/// The template database holding the current `public` migrations, created if missing.
async fn ensure_template(server: &str) -> anyhow::Result<String> {
    let template = format!(
        "chameleon_template_{:016x}",
        public_migrations_fingerprint()
    );
    let admin = connect(server).await?;
    // Serialises test processes that start together; released when `admin` disconnects.
    admin
        .execute("SELECT pg_advisory_lock(hashtext($1))", &[&template])
        .await?;
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&template])
        .await?
        .is_some();
    if !exists {
        let building = format!("{template}_wip");
        // Left over by a run that died midway, if at all.
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
            ))
            .await?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{building}\""))
            .await?;
        {
            let pool = PgPool::new(&PgSettings::new(with_dbname(server, &building)))?;
            chameleon_provisioning::migrate_public(&pool).await?;
            pool.close();
        }
        // Renaming is atomic: no test ever clones a half-migrated template. The pool's backends
        // may take a moment to exit after it closed, and a database in use cannot be renamed.
        let rename = format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\"");
        let mut attempts = 0;
        while let Err(err) = admin.batch_execute(&rename).await {
            attempts += 1;
            if attempts == 100 {
                return Err(err).context("publishing the template database");
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    Ok(template)
}
