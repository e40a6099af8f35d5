//! Installing the control plane: the roles, the control-plane migrations, the stored tenant
//! migrations and the serving role's grants (`docs/database-roles.md`).
//!
//! This runs as a login that may create roles: a superuser, or a `CREATEROLE` role that owns the
//! database (what `chameleon migrate` is given; `make run` gives it the private cluster's
//! superuser). The service itself then connects as the serving role, which can do none of it.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use refinery::Report;
use tokio_postgres::Client;

use super::migrations::{run_public, store_tenant_migration, tenant_migrations};
use crate::pool::PgPool;

/// The NOLOGIN role that owns the control plane, every tenant schema and every tenant table,
/// and runs the SECURITY DEFINER functions that provision tenants. Nobody logs in as it, except
/// on Citus, where the coordinator does, to the workers, to carry its DDL there (see
/// [`ensure_owner`]).
pub const OWNER_ROLE: &str = "chameleon_owner";

/// On Citus, the NOLOGIN group every tenant role is made a member of, so pg_hba can admit
/// tenant roles from the cluster's own nodes only (`host all +chameleon_tenants <node> ...`).
pub const TENANTS_GROUP: &str = "chameleon_tenants";

/// Session advisory lock key held while installing, so two instances starting at once do not
/// race. ("chamelon" in ASCII.)
const INSTALL_LOCK: i64 = 0x6368_616d_656c_6f6e;

/// Who serves requests.
#[derive(Clone)]
pub struct InstallSettings {
    /// The role the service connects as: created if missing, stripped of every attribute that
    /// could escalate, made a member of every tenant role.
    pub serving_role: String,
    /// Its password, set (or changed) when given.
    pub serving_password: Option<String>,
    /// How long to wait for another install (another instance starting) to finish.
    pub lock_wait: Duration,
}

impl InstallSettings {
    /// `role`, with no password change and the default wait.
    pub fn serving(role: &str) -> Self {
        Self {
            serving_role: role.to_owned(),
            serving_password: None,
            lock_wait: DEFAULT_LOCK_WAIT,
        }
    }
}

/// How long an install waits for another one by default.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(60);

impl std::fmt::Debug for InstallSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstallSettings")
            .field("serving_role", &self.serving_role)
            .field(
                "serving_password",
                &self.serving_password.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// What the login running the install may do.
struct Installer {
    name: String,
    superuser: bool,
    create_role: bool,
}

/// Who a pool logs in as, and what that login may do here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub name: String,
    /// A superuser, or a role that may create roles: it can run [`install`].
    pub may_install: bool,
    /// The control plane has every migration this build knows.
    pub control_plane_current: bool,
}

/// Who `pool` logs in as, what it may do, and whether the control plane is current: what
/// `chameleon serve` decides at start whether to install (as that login) or only check.
pub async fn login(pool: &PgPool) -> anyhow::Result<Login> {
    let conn = pool.get().await?;
    let row = conn
        .client()
        .query_one(
            "SELECT current_user::text, rolsuper OR rolcreaterole FROM pg_roles \
             WHERE rolname = current_user",
            &[],
        )
        .await
        .context("asking who we are")?;
    Ok(Login {
        name: row.get(0),
        may_install: row.get(1),
        control_plane_current: super::migrations::control_plane_is_current(conn.client()).await?,
    })
}

/// Brings the control plane to the latest version and names the serving role. Idempotent.
pub async fn install(pool: &PgPool, settings: &InstallSettings) -> anyhow::Result<Report> {
    let mut conn = pool.get().await?;
    let client = conn.client_mut();
    take_lock(client, settings.lock_wait).await?;
    let installed = install_locked(client, settings).await;
    // On a failure the connection is in no transaction (every step commits on its own), so the
    // unlock and RESET go through either way.
    let _ = client.batch_execute("RESET ROLE").await;
    // Set on Citus only (see install_locked); elsewhere the RESET fails harmlessly.
    let _ = client
        .batch_execute("RESET citus.enable_ddl_propagation")
        .await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&INSTALL_LOCK])
        .await
        .context("releasing the migration lock")?;
    installed
}

/// Takes the install lock, waiting at most `wait` for whoever holds it.
async fn take_lock(client: &Client, wait: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + wait;
    loop {
        let taken: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&INSTALL_LOCK])
            .await
            .context("taking the migration lock")?
            .get(0);
        if taken {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let holder = lock_holder(client)
                .await
                .unwrap_or_else(|err| format!("a session this login cannot see ({err:#})"));
            bail!(
                "another `chameleon migrate` (or a service migrating at start) has held the \
                 migration lock for {wait:?}: {holder}. Wait for it to finish, or end that \
                 session if it is stuck (SELECT pg_terminate_backend(<pid>))"
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Who holds the install lock: pid, login, application, address, since when, and what it does.
async fn lock_holder(client: &Client) -> anyhow::Result<String> {
    // A bigint advisory key is shown in pg_locks as its high and low 32 bits.
    let high = (INSTALL_LOCK >> 32) & 0xffff_ffff;
    let low = INSTALL_LOCK & 0xffff_ffff;
    let row = client
        .query_opt(
            "SELECT a.pid, a.usename::text, a.application_name, coalesce(host(a.client_addr), \
                    'a local socket'), to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'), \
                    coalesce(a.state, '?') \
               FROM pg_locks l JOIN pg_stat_activity a USING (pid) \
              WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
                AND l.classid::bigint = $1 AND l.objid::bigint = $2 \
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[&high, &low],
        )
        .await
        .context("asking who holds the migration lock")?;
    Ok(match row {
        Some(row) => {
            let pid: i32 = row.get(0);
            let user: String = row.get(1);
            let application: String = row.get(2);
            let from: String = row.get(3);
            let since: String = row.get(4);
            let state: String = row.get(5);
            let application = if application.is_empty() {
                "no application name".to_owned()
            } else {
                format!("application {application:?}")
            };
            format!(
                "it is held by pid {pid} (login {user}, {application}, from {from}, connected \
                 since {since}, {state})"
            )
        }
        None => "it was released just now".to_owned(),
    })
}

/// [`install`] on a pool of its own to `url`, closed when done (test support builds its template
/// databases with it).
pub async fn install_at(url: &str, settings: &InstallSettings) -> anyhow::Result<Report> {
    let pool = PgPool::new(&crate::pool::PgSettings::new(url))?;
    let report = install(&pool, settings).await;
    pool.close();
    report
}

async fn install_locked(client: &mut Client, settings: &InstallSettings) -> anyhow::Result<Report> {
    let row = client
        .query_one(
            "SELECT current_user::text, rolsuper, rolcreaterole FROM pg_roles \
             WHERE rolname = current_user",
            &[],
        )
        .await?;
    let installer = Installer {
        name: row.get(0),
        superuser: row.get(1),
        create_role: row.get(2),
    };
    let citus = citus_version(client).await?;
    if citus.is_some() && !installer.superuser {
        bail!(
            "on a Citus coordinator installing needs a superuser: it gives the owner role its \
             worker credential in pg_dist_authinfo, which only a superuser may write \
             (docs/scaling.md); {} is not one",
            installer.name
        );
    }
    if !installer.superuser && !installer.create_role {
        bail!(
            "installing needs a superuser or a CREATEROLE role that owns the database; {} is neither \
             (see docs/database-roles.md)",
            installer.name
        );
    }
    ensure_owner(client, &installer, citus.is_some()).await?;
    ensure_serving_role(client, &installer, settings).await?;
    if citus.is_some() {
        copy_serving_role_to_workers(client, settings).await?;
        // The control plane (public.tenants, chameleon_sys) stays on the coordinator: nothing
        // on a worker reads it. Only tenant schemas are distributed.
        client
            .batch_execute("SET citus.enable_ddl_propagation TO off")
            .await?;
    }
    client
        .batch_execute(&format!("SET ROLE {OWNER_ROLE}"))
        .await
        .context("switching to the owner role")?;
    let report = run_public(client).await?;
    for migration in tenant_migrations() {
        store_tenant_migration(client, &migration).await?;
    }
    client
        .execute(
            "SELECT chameleon_sys.grant_serving($1)",
            &[&settings.serving_role],
        )
        .await
        .context("granting the serving role what it needs")?;
    Ok(report)
}

/// The Citus version installed in this database, if any.
pub async fn citus_version(client: &Client) -> anyhow::Result<Option<String>> {
    Ok(client
        .query_opt(
            "SELECT extversion::text FROM pg_extension WHERE extname = 'citus'",
            &[],
        )
        .await
        .context("looking for Citus")?
        .map(|row| row.get(0)))
}

/// The owner role, able to create schemas in this database, and the installer able to become it.
///
/// On Citus the coordinator carries the owner's DDL (a tenant's schema, role and tables) to the
/// workers over connections it opens as the owner, so there the owner is `LOGIN`, with a
/// generated secret kept in `pg_dist_authinfo` (superuser-only) and given to no one; pg_hba
/// admits it from the cluster's own nodes only. It may add rows there: `provision_tenant`
/// stores each tenant role's credential the same way.
async fn ensure_owner(
    client: &mut Client,
    installer: &Installer,
    citus: bool,
) -> anyhow::Result<()> {
    let exists = role_exists(client, OWNER_ROLE).await?;
    let verb = if exists { "ALTER" } else { "CREATE" };
    let login = if citus { "LOGIN" } else { "NOLOGIN" };
    client
        .batch_execute(&format!(
            "{verb} ROLE {OWNER_ROLE} {login} CREATEROLE NOSUPERUSER NOCREATEDB NOREPLICATION NOBYPASSRLS"
        ))
        .await
        .context("creating the owner role")?;
    if citus {
        ensure_owner_credential(client).await?;
        let verb = if role_exists(client, TENANTS_GROUP).await? {
            "ALTER"
        } else {
            "CREATE"
        };
        client
            .batch_execute(&format!(
                "{verb} ROLE {TENANTS_GROUP} NOLOGIN NOINHERIT NOCREATEROLE NOCREATEDB;
                 GRANT {TENANTS_GROUP} TO {OWNER_ROLE} WITH ADMIN OPTION"
            ))
            .await
            .context("creating the tenant roles' group")?;
        distribute_roles(client).await?;
    }
    if !installer.superuser {
        client
            .batch_execute(&format!("GRANT {OWNER_ROLE} TO CURRENT_USER"))
            .await
            .context("letting the installer act as the owner role")?;
    }
    client
        .batch_execute(&format!(
            "DO $$ BEGIN
                 EXECUTE format('GRANT CONNECT, CREATE ON DATABASE %I TO {OWNER_ROLE}', current_database());
             END $$;
             GRANT USAGE, CREATE ON SCHEMA public TO {OWNER_ROLE};
             REVOKE CREATE ON SCHEMA public FROM PUBLIC;"
        ))
        .await
        .context("letting the owner role create schemas")?;
    Ok(())
}

/// The serving role: created if missing, and never more than a login.
async fn ensure_serving_role(
    client: &Client,
    installer: &Installer,
    settings: &InstallSettings,
) -> anyhow::Result<()> {
    let role = settings.serving_role.as_str();
    if role == installer.name {
        // A service run as the installing login itself (a test server's superuser): nothing to
        // create or take away.
        return Ok(());
    }
    let verb = if role_exists(client, role).await? {
        "ALTER"
    } else {
        "CREATE"
    };
    // The password's SCRAM verifier, computed here: PostgreSQL stores a verifier it is given as
    // it is, so the password itself never reaches the server, its statement log or an error
    // message.
    let password = match &settings.serving_password {
        Some(password) => client
            .query_one(
                "SELECT format(' PASSWORD %L', $1::text)",
                &[&scram_verifier(password)],
            )
            .await?
            .get::<_, String>(0),
        None => String::new(),
    };
    let statement: String = client
        .query_one(
            &format!(
                "SELECT format('{verb} ROLE %I LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE \
                 NOREPLICATION NOBYPASSRLS', $1::text)"
            ),
            &[&role],
        )
        .await?
        .get(0);
    client
        .batch_execute(&format!(
            "SET password_encryption = 'scram-sha-256'; {statement}{password}"
        ))
        .await
        .with_context(|| format!("making {role} a serving role"))?;
    // An earlier version ran the service as a role that owned the control plane and every
    // tenant schema. Ownership moves to the owner role, or the serving role would keep it.
    let owns_here: bool = client
        .query_one(
            "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspowner = to_regrole($1)) \
                 OR EXISTS (SELECT FROM pg_class WHERE relowner = to_regrole($1))",
            &[&role],
        )
        .await?
        .get(0);
    if owns_here {
        client
            .batch_execute(
                &client
                    .query_one(
                        &format!("SELECT format('REASSIGN OWNED BY %I TO {OWNER_ROLE}', $1::text)"),
                        &[&role],
                    )
                    .await?
                    .get::<_, String>(0),
            )
            .await
            .with_context(|| format!("moving what {role} owns to {OWNER_ROLE}"))?;
    }
    Ok(())
}

/// The owner's worker credential on Citus: made once, the password and its `pg_dist_authinfo`
/// row in one transaction (a second install keeps it, so provisioning in flight never sees
/// a password the workers do not know yet).
async fn ensure_owner_credential(client: &mut Client) -> anyhow::Result<()> {
    let tx = client.transaction().await?;
    let stored = tx
        .query_opt(
            "SELECT 1 FROM pg_catalog.pg_dist_authinfo WHERE nodeid = 0 AND rolename = $1",
            &[&OWNER_ROLE],
        )
        .await
        .context("reading the owner's worker credential")?
        .is_some();
    if !stored {
        let password: String = tx
            .query_one(
                "SELECT replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '')",
                &[],
            )
            .await?
            .get(0);
        // The role gets the verifier; only `pg_dist_authinfo` holds the password itself (Citus
        // reads it there to log in to the workers: the one place a secret must be plain).
        let alter: String = tx
            .query_one(
                &format!("SELECT format('ALTER ROLE {OWNER_ROLE} PASSWORD %L', $1::text)"),
                &[&scram_verifier(&password)],
            )
            .await?
            .get(0);
        // Two messages, never one: the pool's sessions set `citus.propagate_set_commands` to
        // `local`, and Citus forwards a `SET LOCAL` by sending the text of the whole message it
        // came in to the workers. Sent together, the `ALTER ROLE` went along with it and ran on
        // a worker as a Citus-internal backend, where a role Citus distributes (one created
        // since Citus was installed: always, on a new cluster) cannot be altered ("cannot
        // execute a distributed query from a query on a shard").
        tx.batch_execute("SET LOCAL password_encryption = 'scram-sha-256'")
            .await?;
        tx.batch_execute(&alter)
            .await
            .context("giving the owner role its worker password")?;
        tx.execute(
            "INSERT INTO pg_catalog.pg_dist_authinfo (nodeid, rolename, authinfo) \
             VALUES (0, $1, 'password=' || $2)",
            &[&OWNER_ROLE, &password],
        )
        .await
        .context("storing the owner's worker credential")?;
    }
    // Storing a tenant's credential at provisioning, deleting it at removal (`drop_tenant`).
    // A DELETE must read the columns it filters on, so the owner may read those two, never
    // `authinfo`: no secret, its own included, is readable by it.
    tx.batch_execute(&format!(
        "GRANT INSERT, DELETE, SELECT (nodeid, rolename) ON pg_catalog.pg_dist_authinfo \
         TO {OWNER_ROLE}"
    ))
    .await
    .context("letting the owner store and remove tenant credentials")?;
    tx.commit().await?;
    Ok(())
}

/// On Citus: the owner role and the tenants' group as distributed objects of this database.
///
/// Citus carries `CREATE ROLE`/`ALTER ROLE` of a role to the workers only once the role is a
/// distributed object of the database (a role created here, with Citus installed, is one; a
/// cluster-wide role made before, for another database or before Citus, is not). Otherwise
/// the first tenant schema distributed would have Citus create the role on the workers over
/// the owner's own connection, which may not (`NOSUPERUSER` is a superuser's attribute to
/// set). Distributing, as the superuser, a schema with a table the owner owns has Citus copy
/// the role to every worker, login and password hash included, and record it as distributed
/// (a bare schema is not enough: Citus follows the table's owner, not the schema's). The
/// schema is only the occasion and is dropped at once; the role stays distributed.
async fn distribute_roles(client: &Client) -> anyhow::Result<()> {
    let pending: i64 = client
        .query_one(
            "SELECT count(*) FROM unnest($1::text[]) AS r(name) WHERE NOT EXISTS \
               (SELECT FROM pg_catalog.pg_dist_object \
                 WHERE classid = 'pg_catalog.pg_authid'::regclass AND objid = to_regrole(r.name))",
            &[&vec![OWNER_ROLE, TENANTS_GROUP]],
        )
        .await
        .context("asking Citus about the owner role")?
        .get(0);
    if pending > 0 {
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS chameleon_citus_roles CASCADE;
                 CREATE SCHEMA chameleon_citus_roles AUTHORIZATION {OWNER_ROLE};
                 CREATE TABLE chameleon_citus_roles.owner (a int);
                 ALTER TABLE chameleon_citus_roles.owner OWNER TO {OWNER_ROLE};
                 CREATE TABLE chameleon_citus_roles.tenants (a int);
                 ALTER TABLE chameleon_citus_roles.tenants OWNER TO {TENANTS_GROUP};
                 SELECT citus_schema_distribute('chameleon_citus_roles');
                 DROP SCHEMA chameleon_citus_roles CASCADE;"
            ))
            .await
            .context("distributing the owner role and the tenants' group to the Citus workers")?;
    }
    Ok(())
}

/// On Citus: the serving role exists on every worker, `NOLOGIN` there. A tenant role is
/// granted to it in the provisioning transaction, which Citus carries to the worker that
/// holds the tenant; nothing ever connects to a worker as the serving role.
async fn copy_serving_role_to_workers(
    client: &Client,
    settings: &InstallSettings,
) -> anyhow::Result<()> {
    let role = settings.serving_role.as_str();
    let statement: String = client
        .query_one(
            "SELECT format('SET citus.enable_ddl_propagation TO off; DO $do$ BEGIN \
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = %L) THEN \
               CREATE ROLE %I NOLOGIN; END IF; END $do$; ALTER ROLE %I NOLOGIN NOINHERIT \
               NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', $1::text, $1::text, $1::text)",
            &[&role],
        )
        .await?
        .get(0);
    let failed = client
        .query(
            "SELECT nodename || ':' || nodeport || ': ' || result \
               FROM run_command_on_workers($1) WHERE NOT success",
            &[&statement],
        )
        .await
        .with_context(|| format!("copying role {role} to the workers"))?;
    if let Some(row) = failed.first() {
        bail!(
            "copying role {role} to a worker failed: {}",
            row.get::<_, String>(0)
        );
    }
    Ok(())
}

async fn role_exists(client: &Client, role: &str) -> anyhow::Result<bool> {
    Ok(client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
        .await?
        .is_some())
}

/// `password`'s SCRAM-SHA-256 verifier (`SCRAM-SHA-256$4096:<salt>$<stored key>:<server key>`),
/// what `password_encryption = 'scram-sha-256'` would store, made on this side.
pub fn scram_verifier(password: &str) -> String {
    postgres_protocol::password::scram_sha_256(password.as_bytes())
}
