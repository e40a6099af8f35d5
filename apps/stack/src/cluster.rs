//! A private PostgreSQL cluster that only its owner can reach.
//!
//! - The socket directory is `0700` and owned by the cluster's user, and the socket itself
//!   `0700`: no other local user can even reach the server.
//! - There is no TCP listener unless one is asked for, and every login, on the socket or over
//!   TCP, takes a password (SCRAM): the superuser's is generated at `initdb` and kept in
//!   `superuser.password` (`0600`), never on a command line.
//! - A cluster made by an earlier version with `trust` logins is converted on its next start.
//!
//! The server is started with `pg_ctl`, which detaches it into a session of its own, so a signal
//! meant for whoever started it never reaches it; [`Cluster::stop`] stops it ("fast": open
//! transactions roll back, nothing is lost).

use std::fs;
use std::os::unix::fs::{PermissionsExt as _, chown};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::Command;

use crate::process;
use crate::users::OsUser;

/// The cluster's superuser.
pub const SUPERUSER: &str = "postgres";
const PORT: u16 = 5432;

/// How to start the server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub max_connections: u32,
    /// `fsync` and `synchronous_commit` off: for throw-away test data only.
    pub unsafe_fast: bool,
    pub shared_buffers: Option<String>,
    /// Also listen on `127.0.0.1:<port>` (password logins only). Off by default.
    pub tcp_port: Option<u16>,
    /// Run as a node of a Citus cluster (see [`crate::citus`]).
    pub citus: Option<CitusNode>,
    /// Log every statement with its parameters (`log_statement = 'all'`): for the test that
    /// no secret reaches the server.
    pub log_statements: bool,
    /// Serve TLS with this certificate chain and key (PEM), for the `sslmode` tests.
    pub tls: Option<ServerTls>,
}

/// A server certificate and its key, PEM.
#[derive(Debug, Clone)]
pub struct ServerTls {
    pub chain_pem: String,
    pub key_pem: String,
}

/// What a node of a Citus cluster needs beyond an ordinary server.
#[derive(Debug, Clone)]
pub struct CitusNode {
    /// A libpq password file the server's own outgoing connections read (`PGPASSFILE`): the
    /// superuser's passwords on the other nodes, for Citus's node-to-node connections.
    pub passfile: PathBuf,
    /// The addresses (CIDR) of the cluster's nodes: the only ones `node_only_roles` may log in
    /// from.
    pub node_addresses: Vec<String>,
    /// Roles (`name`, or `+group` for its members) that log in only from the cluster's nodes,
    /// and never over the socket: those Citus itself connects as.
    pub node_only_roles: Vec<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            max_connections: 200,
            unsafe_fast: false,
            shared_buffers: None,
            tcp_port: None,
            citus: None,
            log_statements: false,
            tls: None,
        }
    }
}

/// A cluster in `dir`: `data/`, `run/` (the socket), `superuser.password`, `postgres.log`.
#[derive(Debug, Clone)]
pub struct Cluster {
    dir: PathBuf,
    owner: Option<OsUser>,
    bin: PathBuf,
}

impl Cluster {
    /// The cluster in `dir`, run as `owner` (`None`: as ourselves; required when we are not
    /// root). Nothing is created yet.
    pub fn new(dir: impl Into<PathBuf>, owner: Option<OsUser>) -> anyhow::Result<Cluster> {
        Ok(Cluster {
            dir: dir.into(),
            owner,
            bin: bindir()?,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn socket_dir(&self) -> PathBuf {
        self.dir.join("run")
    }

    pub fn log(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    fn password_file(&self) -> PathBuf {
        self.dir.join("superuser.password")
    }

    /// The superuser's password.
    pub fn superuser_password(&self) -> anyhow::Result<String> {
        Ok(fs::read_to_string(self.password_file())
            .with_context(|| format!("reading {}", self.password_file().display()))?
            .trim()
            .to_owned())
    }

    /// A key/value connection string for `user` (with `password`) to `dbname`, over the socket.
    pub fn url_as(&self, user: &str, password: &str, dbname: &str) -> String {
        format!(
            "host={} port={PORT} user={user} password={password} dbname={dbname}",
            self.socket_dir().display()
        )
    }

    /// The superuser's connection string to `dbname`.
    pub fn superuser_url(&self, dbname: &str) -> anyhow::Result<String> {
        Ok(self.url_as(SUPERUSER, &self.superuser_password()?, dbname))
    }

    /// Creates the cluster unless it exists. Returns whether it was created.
    pub async fn init_if_missing(&self) -> anyhow::Result<bool> {
        self.init_if_missing_with(None).await
    }

    /// [`Cluster::init_if_missing`], with the superuser's password given instead of generated
    /// (the nodes of a Citus cluster share one: Citus copies the superuser role, password
    /// included, from the coordinator to every node it adds).
    pub async fn init_if_missing_with(&self, password: Option<&str>) -> anyhow::Result<bool> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        self.give(&self.dir, 0o755)?;
        if self.data().join("PG_VERSION").exists() {
            return Ok(false);
        }
        // initdb writes into a directory of its own and is renamed into place when done: a run
        // interrupted midway leaves nothing that looks like a cluster.
        let building = self.dir.join("data.init");
        let _ = fs::remove_dir_all(&building);
        let password = match password {
            Some(password) => password.to_owned(),
            None => secret()?,
        };
        let pwfile = self.dir.join("initdb.pw");
        write_private(&pwfile, &password)?;
        self.give(&pwfile, 0o600)?;
        let initdb = process::run(
            "initdb",
            Command::new(self.bin.join("initdb"))
                .arg("-D")
                .arg(&building)
                .args(["-U", SUPERUSER, "--encoding=UTF8", "--no-sync"])
                .args(["--auth-local=scram-sha-256", "--auth-host=scram-sha-256"])
                .arg(format!("--pwfile={}", pwfile.display())),
            self.owner.as_ref(),
        )
        .await;
        let _ = fs::remove_file(&pwfile);
        initdb?;
        write_private(&self.password_file(), &password)?;
        fs::rename(&building, self.data()).context("publishing the new cluster")?;
        Ok(true)
    }

    /// Starts the server (and waits until it accepts connections) unless it is running.
    /// Returns whether this call started it.
    pub async fn start(&self, options: &ServerOptions) -> anyhow::Result<bool> {
        if self.postmaster_pid().is_some() {
            return Ok(false);
        }
        let run = self.socket_dir();
        fs::create_dir_all(&run)?;
        self.give(&run, 0o700)?;
        self.give(&self.dir, 0o755)?;
        let converting = !self.password_file().exists();
        self.write_hba(options, converting)?;
        let _ = fs::remove_file(self.log());
        let mut settings = format!(
            "-c listen_addresses='{}' -c port={PORT} -k '{}' -c unix_socket_permissions=0700 \
             -c max_connections={} -c password_encryption=scram-sha-256",
            if options.tcp_port.is_some() {
                "127.0.0.1"
            } else {
                ""
            },
            run.display(),
            options.max_connections,
        );
        if let Some(port) = options.tcp_port {
            settings = settings.replace(&format!("-c port={PORT}"), &format!("-c port={port}"));
        }
        if let Some(tls) = &options.tls {
            let (cert, key) = (self.dir.join("server.crt"), self.dir.join("server.key"));
            self.write_owned(&cert, &tls.chain_pem)?;
            self.write_owned(&key, &tls.key_pem)?;
            settings.push_str(&format!(
                " -c ssl=on -c ssl_cert_file='{}' -c ssl_key_file='{}'",
                cert.display(),
                key.display()
            ));
        }
        if options.log_statements {
            settings.push_str(" -c log_statement=all -c log_parameter_max_length=-1");
        }
        if options.unsafe_fast {
            settings.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        if let Some(buffers) = &options.shared_buffers {
            settings.push_str(&format!(" -c shared_buffers={buffers}"));
        }
        let mut pg_ctl = Command::new(self.bin.join("pg_ctl"));
        if let Some(citus) = &options.citus {
            // Logical decoding for citus_schema_move's non-blocking moves; prepared
            // transactions for Citus's two-phase commits across nodes.
            settings.push_str(
                " -c shared_preload_libraries=citus -c wal_level=logical \
                 -c max_prepared_transactions=200 -c max_wal_senders=20 -c max_replication_slots=20 \
                 -c citus.local_hostname=127.0.0.1",
            );
            pg_ctl.env("PGPASSFILE", &citus.passfile);
            // libpq in the server looks for client certificates under $HOME/.postgresql; a
            // HOME of another user (root's, when root starts us) is unreadable and fails
            // every node-to-node connection.
            pg_ctl.env("HOME", &self.dir);
        }
        process::run(
            "pg_ctl start",
            pg_ctl
                .args(["start", "-w", "-t", "60", "-D"])
                .arg(self.data())
                .arg("-l")
                .arg(self.log())
                .arg("-o")
                .arg(settings),
            self.owner.as_ref(),
        )
        .await
        .map_err(|e| anyhow!("{e:#}\n{}", process::tail(&self.log(), 20)))?;
        if converting {
            self.convert_from_trust(options).await?;
        }
        Ok(true)
    }

    /// A cluster made before logins took passwords: give the superuser one, then require it.
    async fn convert_from_trust(&self, options: &ServerOptions) -> anyhow::Result<()> {
        let password = secret()?;
        let (client, connection) = tokio_postgres::connect(
            &format!(
                "host={} port={PORT} user={SUPERUSER} dbname=postgres",
                self.socket_dir().display()
            ),
            tokio_postgres::NoTls,
        )
        .await
        .context("connecting to convert a trust cluster")?;
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!(
                // The verifier, computed here: the password never reaches the server.
                "ALTER ROLE {SUPERUSER} PASSWORD '{}'",
                postgres_protocol::password::scram_sha_256(password.as_bytes())
            ))
            .await?;
        drop(client);
        let _ = driver.await;
        write_private(&self.password_file(), &password)?;
        self.write_hba(options, false)?;
        process::run(
            "pg_ctl reload",
            Command::new(self.bin.join("pg_ctl"))
                .args(["reload", "-D"])
                .arg(self.data()),
            self.owner.as_ref(),
        )
        .await
    }

    /// Only password logins: over the socket, and over loopback TCP if there is a listener.
    fn write_hba(&self, options: &ServerOptions, trust_socket: bool) -> anyhow::Result<()> {
        let mut hba = String::from(
            "# Written by chameleon-stack at every start: password (SCRAM) logins only.\n",
        );
        if let Some(citus) = &options.citus {
            hba.push_str(
                "# Roles Citus connects as: from the cluster's nodes only, never locally.\n",
            );
            for role in &citus.node_only_roles {
                hba.push_str(&format!("local all {role} reject\n"));
                for address in &citus.node_addresses {
                    hba.push_str(&format!("host all {role} {address} scram-sha-256\n"));
                }
                hba.push_str(&format!("host all {role} all reject\n"));
            }
        }
        if trust_socket {
            hba.push_str(
                "# One start only, to give the superuser a password: the socket is 0700.\n",
            );
            hba.push_str("local all all trust\n");
        } else {
            hba.push_str("local all all scram-sha-256\n");
        }
        if options.tcp_port.is_some() {
            hba.push_str("host all all 127.0.0.1/32 scram-sha-256\n");
        }
        let path = self.data().join("pg_hba.conf");
        fs::write(&path, hba).with_context(|| format!("writing {}", path.display()))?;
        self.give(&path, 0o600)
    }

    /// Stops the server if it runs ("fast": clients are disconnected, open transactions rolled
    /// back), waiting up to `timeout`.
    pub async fn stop(&self, timeout: Duration) -> anyhow::Result<()> {
        let Some(pid) = self.postmaster_pid() else {
            return Ok(());
        };
        let stopped = process::run(
            "pg_ctl stop",
            Command::new(self.bin.join("pg_ctl"))
                .args(["stop", "-m", "fast", "-w", "-t"])
                .arg(timeout.as_secs().max(1).to_string())
                .arg("-D")
                .arg(self.data()),
            self.owner.as_ref(),
        )
        .await;
        if stopped.is_err() && self.postmaster_pid().is_some() {
            // SIGQUIT: immediate shutdown; the next start recovers from the WAL.
            let _ = kill(Pid::from_raw(pid), Signal::SIGQUIT);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        stopped
    }

    /// The postmaster's pid when the server runs.
    pub fn postmaster_pid(&self) -> Option<i32> {
        let text = fs::read_to_string(self.data().join("postmaster.pid")).ok()?;
        let pid: i32 = text.lines().next()?.trim().parse().ok()?;
        kill(Pid::from_raw(pid), None).ok().map(|()| pid)
    }

    /// Writes `text` to `path`, readable by the cluster's owner only.
    pub fn write_owned(&self, path: &Path, text: &str) -> anyhow::Result<()> {
        write_private(path, text)?;
        self.give(path, 0o600)
    }

    /// Hands `path` to the cluster's owner with `mode`.
    fn give(&self, path: &Path, mode: u32) -> anyhow::Result<()> {
        if let Some(owner) = &self.owner {
            chown(path, Some(owner.uid), Some(owner.gid))
                .with_context(|| format!("chown {} to {}", path.display(), owner.name))?;
        }
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .with_context(|| format!("chmod {} {mode:o}", path.display()))
    }
}

/// 32 random bytes as 64 hex digits: a password, a token.
pub fn secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow!("no randomness available: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes `text` to a file only its owner may read (mode 0600 from the start).
pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let _ = fs::remove_file(path);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// The newest PostgreSQL server binaries installed (Debian keeps them out of `PATH`).
pub fn bindir() -> anyhow::Result<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .context("no PostgreSQL server under /usr/lib/postgresql (apt install postgresql)")?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!("no initdb under /usr/lib/postgresql/*/bin"),
    }
}
