//! Starts the real stack for one test: a database of its own, the backend binary, nginx with the
//! project's own configuration template, all through `chameleon-stack` (the code `make run` and
//! `make bench` use). Everything is stopped when the [`Stack`] is dropped.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chameleon_postgres::provisioning::migrations::migrations_fingerprint;
use chameleon_postgres::{InstallSettings, install_at};
use chameleon_stack::certs::{CertDir, LocalCa};
use chameleon_stack::{
    Backend, BackendSettings, Cluster, Edge, EdgeLimits, EdgeSettings, EdgeTls, ServerOptions,
    users,
};
use chameleon_testkit::{Template, TestDb};
use chameleon_wire::{MenuItem, ProvisionedTenant};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::json;
use uuid::Uuid;

pub const ADMIN_TOKEN: &str = "e2e-admin-token-0123456789abcdef0123";

/// The role the backend serves as, exactly as `make run` sets it up (a shared name: roles belong
/// to the whole server).
pub const SERVING_ROLE: &str = "chameleon_test_service";
pub const SERVING_PASSWORD: &str = "chameleon-test-service-password";

/// Test databases start with the control plane installed, as `chameleon migrate` does it.
pub fn template() -> Template {
    Template {
        name: "chameleon_template",
        fingerprint: migrations_fingerprint(),
        build: |url| {
            Box::pin(async move {
                let settings = InstallSettings {
                    serving_role: SERVING_ROLE.to_owned(),
                    serving_password: Some(SERVING_PASSWORD.to_owned()),
                    lock_wait: chameleon_postgres::provisioning::DEFAULT_LOCK_WAIT,
                };
                install_at(&url, &settings).await.map(drop)
            })
        },
        roles_query: "SELECT schema_name FROM public.tenants",
        after_clone: "GRANT CONNECT, CREATE ON DATABASE {database} TO chameleon_owner",
    }
}

/// Where a stack's data lives.
pub enum Db {
    /// A database of its own on the tests' shared server.
    Shared(TestDb),
    /// A whole PostgreSQL cluster of its own, which the test may stop and restart.
    Own { cluster: Cluster, admin_url: String },
}

impl Db {
    /// A separate administrative connection, for inspecting what the service wrote.
    pub async fn inspect(&self) -> tokio_postgres::Client {
        match self {
            Db::Shared(db) => db.inspect().await,
            Db::Own { admin_url, .. } => chameleon_testkit::connect(admin_url).await.unwrap(),
        }
    }

    /// A session that holds `schema`'s orders table (EXCLUSIVE, in a transaction it leaves
    /// open): every order of that tenant waits on it until the session ends its transaction.
    pub async fn lock_orders(&self, schema: &str) -> tokio_postgres::Client {
        let blocker = self.inspect().await;
        blocker
            .batch_execute(&format!(
                "BEGIN; LOCK TABLE \"{schema}\".orders IN EXCLUSIVE MODE"
            ))
            .await
            .unwrap();
        blocker
    }

    /// A private cluster with the control plane installed; returns it and the serving role's
    /// connection string.
    async fn own(dir: &Path, log_statements: bool) -> (Db, String) {
        let cluster = Cluster::new(dir.join("pg"), users::server_user().unwrap()).unwrap();
        cluster.init_if_missing().await.unwrap();
        let options = ServerOptions {
            unsafe_fast: true,
            log_statements,
            ..ServerOptions::default()
        };
        cluster.start(&options).await.unwrap();
        chameleon_testkit::connect(&cluster.superuser_url("postgres").unwrap())
            .await
            .unwrap()
            .batch_execute("CREATE DATABASE chameleon")
            .await
            .unwrap();
        let admin_url = cluster.superuser_url("chameleon").unwrap();
        let settings = InstallSettings {
            serving_role: SERVING_ROLE.to_owned(),
            serving_password: Some(SERVING_PASSWORD.to_owned()),
            lock_wait: chameleon_postgres::provisioning::DEFAULT_LOCK_WAIT,
        };
        install_at(&admin_url, &settings).await.unwrap();
        let serving = cluster.url_as(SERVING_ROLE, SERVING_PASSWORD, "chameleon");
        (Db::Own { cluster, admin_url }, serving)
    }
}

/// How to start a [`Stack`].
#[derive(Default)]
pub struct StackOptions<'a> {
    /// The storefront build to serve; a placeholder page when `None`.
    pub web_root: Option<&'a Path>,
    pub limits: EdgeLimits,
    /// A PostgreSQL cluster of the test's own instead of a database on the shared server.
    pub own_database: bool,
    /// Set in the backend's environment, on top of the stack's own.
    pub backend_env: Vec<(&'static str, String)>,
    /// Backends behind nginx (0 means 1).
    pub instances: usize,
    /// HTTPS beside HTTP, with certificates of a local authority for these domains (none: HTTP
    /// only).
    pub tls_domains: Vec<&'static str>,
    /// With HTTPS: plain HTTP is redirected to it (`TLS_REDIRECT=1`).
    pub tls_redirect: bool,
    /// nginx's HTTP port (default: a free one), for a test that must name it before the stack
    /// starts (the ACME test's authority validates on it).
    pub http_port: Option<u16>,
    /// Every statement the database runs is logged, with its parameters (own database only).
    pub log_statements: bool,
}

pub struct Stack {
    pub db: Db,
    pub port: u16,
    pub dir: PathBuf,
    backends: Vec<Backend>,
    /// How each backend was started, to start it again.
    backend_settings: Vec<BackendSettings>,
    edge: Edge,
    client: Client,
    /// HTTPS port and the local authority's certificate, when asked for.
    pub tls: Option<(u16, PathBuf)>,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Stack {
    /// The stack serving the storefront build in `web_root`, or a placeholder page when `None`.
    pub async fn start(web_root: Option<&Path>) -> Stack {
        Self::start_with(web_root, EdgeLimits::default()).await
    }

    /// [`Stack::start`] with the edge's limits of the caller's.
    pub async fn start_with(web_root: Option<&Path>, limits: EdgeLimits) -> Stack {
        Self::start_opts(StackOptions {
            web_root,
            limits,
            ..StackOptions::default()
        })
        .await
    }

    pub async fn start_opts(options: StackOptions<'_>) -> Stack {
        let dir = std::env::temp_dir().join(format!("chameleon-e2e-{}", Uuid::new_v4().simple()));
        fs::create_dir_all(&dir).unwrap();
        let (db, serving_url) = if options.own_database {
            Db::own(&dir, options.log_statements).await
        } else {
            let db = TestDb::new(&template()).await;
            // The backend connects as the serving role, never as the administrator.
            let url = db.url_as(SERVING_ROLE, SERVING_PASSWORD);
            (Db::Shared(db), url)
        };
        let web_root = match options.web_root {
            Some(root) => root.canonicalize().expect("the storefront build exists"),
            None => {
                let root = dir.join("web");
                fs::create_dir_all(&root).unwrap();
                fs::write(
                    root.join("index.html"),
                    "<!doctype html><title>storefront</title>",
                )
                .unwrap();
                root
            }
        };
        let port = options.http_port.unwrap_or_else(free_port);
        let mut env: Vec<(String, String)> = [
            ("API_WORKERS", "2"),
            ("DB_POOL_SIZE", "4"),
            ("RUST_LOG", "info"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec();
        env.extend(
            options
                .backend_env
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v)),
        );
        let tls = (!options.tls_domains.is_empty()).then(|| {
            let ca = LocalCa::ensure(&dir.join("ca")).unwrap();
            let certs = CertDir::open(&dir.join("certs"), None).unwrap();
            for domain in &options.tls_domains {
                ca.issue(domain, &certs).unwrap();
            }
            let port = free_port();
            let tls = EdgeTls {
                port,
                cert_dir: certs.path().to_owned(),
                redirect: options.tls_redirect,
                public_port: port,
            };
            (tls, ca.cert())
        });
        if let Some((tls, _)) = &tls {
            env.push((
                "TLS_CERT_DIR".to_owned(),
                tls.cert_dir.to_string_lossy().into_owned(),
            ));
        }
        let mut backends = Vec::new();
        let mut backend_settings = Vec::new();
        for instance in 0..options.instances.max(1) {
            let settings = BackendSettings {
                bin: PathBuf::from(env!("CARGO_BIN_EXE_chameleon")),
                database_url: serving_url.clone(),
                admin_token: ADMIN_TOKEN.to_owned(),
                host: "127.0.0.1".to_owned(),
                port: free_port(),
                metrics_port: free_port(),
                log: dir.join(format!("chameleon-{instance}.log")),
                env: env.clone(),
                user: None,
            };
            backends.push(
                Backend::start(&settings)
                    .await
                    .expect("starting the backend"),
            );
            backend_settings.push(settings);
        }
        // `serve --no-migrate`: the database is installed already.
        let edge = Edge::start(&EdgeSettings {
            dir: dir.join("nginx"),
            port,
            backends: backends.iter().map(|b| b.address().to_owned()).collect(),
            web_root,
            template: repo_root().join("deploy/nginx/nginx.conf.template"),
            limits: options.limits,
            tls: tls.as_ref().map(|(tls, _)| tls.clone()),
        })
        .await
        .expect("starting nginx (apt install nginx; `make test` does)");
        let stack = Stack {
            db,
            port,
            dir,
            backends,
            backend_settings,
            edge,
            client: Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            tls: tls.map(|(tls, ca)| (tls.port, ca)),
        };
        stack.wait_until_ready().await;
        stack
    }

    /// The stack's own cluster (see [`StackOptions::own_database`]).
    pub fn cluster(&self) -> &Cluster {
        match &self.db {
            Db::Own { cluster, .. } => cluster,
            Db::Shared(_) => panic!("this stack has no cluster of its own"),
        }
    }

    /// Every backend's log so far.
    pub fn backend_log(&self) -> String {
        self.backend_settings
            .iter()
            .map(|settings| fs::read_to_string(&settings.log).unwrap_or_default())
            .collect()
    }

    /// Backend `i`'s metrics listener: `http://127.0.0.1:<port>/metrics`.
    pub fn metrics_url(&self, i: usize) -> String {
        format!(
            "http://{}:{}/metrics",
            self.backend_settings[i].host, self.backend_settings[i].metrics_port
        )
    }

    /// Backend `i`'s own address (not through nginx): `http://127.0.0.1:<port>`.
    pub fn backend_url(&self, i: usize, path: &str) -> String {
        format!("http://{}{path}", self.backend_settings[i].address())
    }

    /// Backend `i`'s process id.
    pub fn backend_pid(&self, i: usize) -> u32 {
        self.backends[i].pid()
    }

    /// Kills backend `i` outright (SIGKILL): nothing in flight finishes.
    pub async fn kill_backend(&mut self, i: usize) {
        self.backends[i].kill().await;
    }

    /// Stops backend `i` gracefully (SIGTERM) and starts it again on the same port.
    pub async fn restart_backend(&mut self, i: usize) {
        self.backends[i].stop().await;
        self.start_backend(i).await;
    }

    /// Starts backend `i` again (after [`Stack::kill_backend`]).
    pub async fn start_backend(&mut self, i: usize) {
        self.backends[i] = Backend::start(&self.backend_settings[i])
            .await
            .expect("starting the backend again");
    }

    async fn wait_until_ready(&self) {
        for _ in 0..300 {
            if let Ok(res) = self.client.get(self.url("/readyz")).send().await
                && res.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the stack did not become ready:\n{}\n{}",
            self.backend_log(),
            fs::read_to_string(self.dir.join("nginx/error.log")).unwrap_or_default()
        );
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// A request through nginx with `Host: host`.
    pub fn request(&self, method: reqwest::Method, host: &str, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("Host", host)
    }

    pub fn admin(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.request(method, "localhost", path)
            .bearer_auth(ADMIN_TOKEN)
    }

    pub fn manager(
        &self,
        method: reqwest::Method,
        tenant: &ProvisionedTenant,
        path: &str,
    ) -> RequestBuilder {
        self.request(method, "localhost", path)
            .header("X-Tenant-ID", tenant.tenant_id.to_string())
            .bearer_auth(&tenant.manager_api_key)
    }

    pub async fn provision(&self, domain: &str, color: &str) -> ProvisionedTenant {
        let res = self
            .admin(reqwest::Method::POST, "/api/v1/sys/provision")
            .json(&json!({"domain": domain, "name": domain, "theme": {"primary_color": color, "font": "sans-serif"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.unwrap()
    }

    pub async fn add_item(&self, tenant: &ProvisionedTenant, name: &str, price: i64) -> MenuItem {
        let res = self
            .manager(reqwest::Method::POST, tenant, "/api/v1/manager/menu")
            .json(&json!({"name": name, "price": price}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.unwrap()
    }

    /// Rows in `<schema>.<table>`, counted directly in PostgreSQL.
    pub async fn count(&self, schema: &str, table: &str) -> i64 {
        self.db
            .inspect()
            .await
            .query_one(
                &format!("SELECT count(*) FROM \"{schema}\".\"{table}\""),
                &[],
            )
            .await
            .unwrap()
            .get(0)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.edge.stop_blocking();
        for backend in &mut self.backends {
            backend.stop_blocking();
        }
        if let Db::Own { cluster, .. } = &self.db {
            // Drop runs on the test's runtime, which cannot be blocked on: stop from a thread
            // with a runtime of its own.
            let cluster = cluster.clone();
            let _ = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map(|rt| rt.block_on(cluster.stop(Duration::from_secs(10))))
            })
            .join();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}
