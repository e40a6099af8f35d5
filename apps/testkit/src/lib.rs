//! Test support: a real PostgreSQL for every test, and a database of its own.
//!
//! This is not an adapter and depends on none (so an adapter's tests can use it without a
//! dependency cycle): it knows PostgreSQL only as a server to create databases on. What goes
//! into a test database, the caller describes as a [`Template`]. It lives under `apps/` beside
//! `chameleon-stack`, whose private cluster it starts when no server is at hand: both are tools
//! around the product, not parts of it.
//!
//! The server is, in order of preference:
//! 1. the one `DATABASE_URL` points at (its user must be able to create databases and roles);
//! 2. `127.0.0.1:5432`, user `postgres`, if something answers there;
//! 3. a private cluster started through `chameleon-stack` under the system's temp directory
//!    (owner-only, password logins; left running for the next test binary, and stopped by
//!    `make test` at the end).
//!
//! With `CHAMELEON_TEST_CITUS=1` (or through [`TestDb::new_on_citus`]) the database is made on
//! a private Citus cluster instead: a coordinator and two workers on loopback, the database on
//! each, Citus in each, the workers registered; the template is then built in it directly (a
//! Citus database cannot be cloned: its metadata names the workers' databases by name).
//!
//! Each [`TestDb`] is a fresh database cloned from its template, which is built once per
//! fingerprint (so a changed migration makes a new one). When the `TestDb` is dropped, even by a
//! failing test, the database is dropped and so are the roles the template says belong to it,
//! since roles belong to the whole cluster.
//!
//! # Layout
//! - [`server`]: finding or starting the server.
//! - [`TestDb`] and [`Template`]: a database per test.

pub mod server;

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use futures_util::future::BoxFuture;
use tokio_postgres::{Client, Config, NoTls};
use uuid::Uuid;

/// What every test database starts from.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    /// Names the template database; a different name makes a different template.
    pub name: &'static str,
    /// Changes whenever what `build` does changes (a hash of the migrations, say).
    pub fingerprint: u64,
    /// Fills the template database, given its administrative connection string.
    pub build: fn(String) -> BoxFuture<'static, anyhow::Result<()>>,
    /// A query, run in a test database before it is dropped, naming the roles that belong to it
    /// (they are dropped with it).
    pub roles_query: &'static str,
    /// Run on the server after each clone, with `{database}` replaced by the new database's
    /// quoted name: what a clone does not inherit from its template (privileges on the
    /// database itself are the database's, not its contents').
    pub after_clone: &'static str,
}

/// A database of one test's own, dropped with its roles when this value is dropped.
#[derive(Debug)]
pub struct TestDb {
    name: String,
    url: String,
    roles_query: &'static str,
    extra_roles: Arc<Mutex<Vec<String>>>,
    citus: Option<chameleon_stack::CitusCluster>,
}

impl TestDb {
    /// A fresh database cloned from `template` (on the Citus cluster when
    /// `CHAMELEON_TEST_CITUS=1`).
    pub async fn new(template: &Template) -> TestDb {
        if server::citus_requested() {
            return Self::new_on_citus(template).await;
        }
        Self::create(template)
            .await
            .expect("could not create a test database")
    }

    /// A fresh database on the test Citus cluster, with `template` built in it.
    pub async fn new_on_citus(template: &Template) -> TestDb {
        Self::create_on_citus(template)
            .await
            .expect("could not create a test database on Citus")
    }

    async fn create_on_citus(template: &Template) -> anyhow::Result<TestDb> {
        let cluster = server::citus().await?;
        let name = format!("chameleon_test_{}", Uuid::new_v4().simple());
        let db = TestDb {
            url: cluster.coordinator().superuser_url(&name)?,
            name: name.clone(),
            roles_query: template.roles_query,
            extra_roles: Arc::default(),
            citus: Some(cluster.clone()),
        };
        // From here on, dropping `db` cleans up whatever was made.
        cluster.create_database(&name).await?;
        (template.build)(db.url.clone())
            .await
            .with_context(|| format!("building {} on Citus", template.name))?;
        Ok(db)
    }

    /// The Citus cluster this database lives on, if it does.
    pub fn citus(&self) -> Option<&chameleon_stack::CitusCluster> {
        self.citus.as_ref()
    }

    /// A superuser connection to this database on every worker (none unless on Citus).
    pub async fn workers(&self) -> Vec<Client> {
        let mut clients = Vec::new();
        if let Some(cluster) = &self.citus {
            for worker in cluster.workers() {
                clients.push(
                    connect(
                        &worker
                            .superuser_url(&self.name)
                            .expect("a worker's password"),
                    )
                    .await
                    .expect("could not connect to a worker"),
                );
            }
        }
        clients
    }

    async fn create(template: &Template) -> anyhow::Result<TestDb> {
        let server = server::url().await?;
        let source = ensure_template(&server, template).await?;
        let name = format!("chameleon_test_{}", Uuid::new_v4().simple());
        let admin = connect(&server).await?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{source}\""))
            .await
            .with_context(|| format!("creating {name} from {source}"))?;
        if !template.after_clone.is_empty() {
            admin
                .batch_execute(
                    &template
                        .after_clone
                        .replace("{database}", &format!("\"{name}\"")),
                )
                .await
                .with_context(|| format!("preparing {name}"))?;
        }
        Ok(TestDb {
            url: with_dbname(&server, &name),
            name,
            roles_query: template.roles_query,
            extra_roles: Arc::default(),
            citus: None,
        })
    }

    /// A connection string for this database, as the server's administrative user.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same connection string with another user and password.
    pub fn url_as(&self, user: &str, password: &str) -> String {
        let mut config: Config = self.url.parse().expect("a valid connection string");
        config.user(user).password(password);
        chameleon_stack::stack::to_key_value(&config)
    }

    /// A separate administrative connection, for inspecting what the code under test wrote.
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
        let roles_query = self.roles_query;
        let extra = self
            .extra_roles
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let citus = self.citus.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on: clean up from a thread
        // with a runtime of its own, and wait for it so the next test starts from a clean slate.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(drop_database(&url, &name, roles_query, extra, citus))
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

async fn drop_database(
    url: &str,
    name: &str,
    roles_query: &str,
    mut roles: Vec<String>,
    citus: Option<chameleon_stack::CitusCluster>,
) -> anyhow::Result<()> {
    // A database that failed midway may not have the tables the query reads.
    if let Ok(db) = connect(url).await
        && let Ok(rows) = db.query(roles_query, &[]).await
    {
        for row in rows {
            roles.push(row.try_get(0)?);
        }
    }
    if let Some(cluster) = citus {
        return cluster.drop_database(name, &roles).await;
    }
    let admin = connect(&server::url().await?).await?;
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
    let mut config = url.parse::<Config>().expect("a valid connection string");
    config.dbname(dbname);
    chameleon_stack::stack::to_key_value(&config)
}

/// The template database for `template`, built if missing.
async fn ensure_template(server: &str, template: &Template) -> anyhow::Result<String> {
    let name = format!("{}_{:016x}", template.name, template.fingerprint);
    let admin = connect(server).await?;
    // Serialises test processes that start together; released when `admin` disconnects.
    admin
        .execute("SELECT pg_advisory_lock(hashtext($1))", &[&name])
        .await?;
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await?
        .is_some();
    if !exists {
        let building = format!("{name}_wip");
        // Left over by a run that died midway, if at all.
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
            ))
            .await?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{building}\""))
            .await?;
        (template.build)(with_dbname(server, &building))
            .await
            .with_context(|| format!("building the template {name}"))?;
        // Renaming is atomic: no test ever clones a half-built template. The builder's
        // backends may take a moment to exit, and a database in use cannot be renamed.
        let rename = format!("ALTER DATABASE \"{building}\" RENAME TO \"{name}\"");
        let mut attempts = 0;
        while let Err(err) = admin.batch_execute(&rename).await {
            attempts += 1;
            if attempts == 100 {
                return Err(err).context("publishing the template database");
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    Ok(name)
}
