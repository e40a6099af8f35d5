//! Starts the real stack for one test: a database of its own, the backend binary, nginx with the
//! project's own configuration template. Everything is stopped when the [`Stack`] is dropped.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chameleon_testkit::TestDb;
use chameleon_wire::{MenuItem, ProvisionedTenant};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::json;
use uuid::Uuid;

pub const ADMIN_TOKEN: &str = "e2e-admin-token";

pub struct Stack {
    pub db: TestDb,
    pub port: u16,
    pub dir: PathBuf,
    backend: Child,
    nginx: Child,
    client: Client,
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
        let db = TestDb::new().await;
        let dir = std::env::temp_dir().join(format!("chameleon-e2e-{}", Uuid::new_v4().simple()));
        fs::create_dir_all(dir.join("tmp")).unwrap();
        fs::create_dir_all(dir.join("conf.d")).unwrap();
        let web_root = match web_root {
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
        let (port, api_port) = (free_port(), free_port());

        let log = fs::File::create(dir.join("chameleon.log")).unwrap();
        let backend = Command::new(env!("CARGO_BIN_EXE_chameleon"))
            .arg("serve")
            .env("DATABASE_URL", db.url())
            .env("API_PORT", api_port.to_string())
            .env("ADMIN_TOKEN", ADMIN_TOKEN)
            .env("API_WORKERS", "2")
            .env("DB_POOL_SIZE", "4")
            .env("RUST_LOG", "info")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting the backend");

        let template =
            fs::read_to_string(repo_root().join("deploy/nginx/nginx.conf.template")).unwrap();
        let config = template
            .replace("@STATE_DIR@", dir.to_str().unwrap())
            .replace("@PORT@", &port.to_string())
            .replace("@API_PORT@", &api_port.to_string())
            .replace("@WEB_ROOT@", web_root.to_str().unwrap());
        fs::write(dir.join("nginx.conf"), config).unwrap();
        // /usr/sbin is not on an ordinary user's PATH on Debian.
        let nginx_bin = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .unwrap_or("nginx");
        let nginx = Command::new(nginx_bin)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting nginx (apt install nginx; `make test` does)");

        let stack = Stack {
            db,
            port,
            dir,
            backend,
            nginx,
            client: Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
        };
        stack.wait_until_healthy().await;
        stack
    }

    async fn wait_until_healthy(&self) {
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
            fs::read_to_string(self.dir.join("chameleon.log")).unwrap_or_default(),
            fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
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
        for child in [&mut self.nginx, &mut self.backend] {
            // SIGTERM first (both shut down gracefully on it), then make sure.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
        }
        for child in [&mut self.nginx, &mut self.backend] {
            for _ in 0..50 {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}
