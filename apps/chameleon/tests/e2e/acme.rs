//! Certificates for every tenant's domain from a real ACME authority: Debian's pebble, its DNS
//! answered by pebble-challtestsrv (every name is 127.0.0.1), so its HTTP-01 checks really reach
//! nginx and, through it, the service. A provisioned domain and one added later get certificates
//! that verify against pebble's root over HTTPS; one about to expire is renewed; a name no
//! tenant registered gets none.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chameleon_stack::certs::{CertDir, LocalCa};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::stack::{Stack, StackOptions, free_port};

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// pebble and its DNS stand-in, validating HTTP-01 on `http_port`.
struct Pebble {
    directory_url: String,
    management: u16,
    /// The root pebble's own HTTPS listener is signed by (what ACME_CA_FILE names).
    listener_ca: PathBuf,
    _dns: Running,
    _pebble: Running,
}

impl Pebble {
    fn start(dir: &Path, http_port: u16) -> Pebble {
        let dns_port = free_port();
        let dns = Running(
            Command::new("pebble-challtestsrv")
                .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
                .args(["-dns01", &format!("127.0.0.1:{dns_port}")])
                .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
                .args(["-management", &format!("127.0.0.1:{}", free_port())])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("pebble-challtestsrv (apt install pebble; `make test` does)"),
        );
        // pebble's own HTTPS listener needs a certificate: the package ships none.
        let ca = LocalCa::ensure(&dir.join("pebble-ca")).unwrap();
        let certs = CertDir::open(&dir.join("pebble-listener"), None).unwrap();
        ca.issue("localhost", &certs).unwrap();
        let (port, management) = (free_port(), free_port());
        let config = json!({"pebble": {
            "listenAddress": format!("127.0.0.1:{port}"),
            "managementListenAddress": format!("127.0.0.1:{management}"),
            "certificate": certs.cert_path("localhost"),
            "privateKey": certs.key_path("localhost"),
            "httpPort": http_port,
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
        }});
        let config_path = dir.join("pebble.json");
        std::fs::write(&config_path, config.to_string()).unwrap();
        let pebble = Running(
            Command::new("pebble")
                .arg("-config")
                .arg(&config_path)
                .args(["-dnsserver", &format!("127.0.0.1:{dns_port}")])
                // No random waits before validating, no nonces refused at random, no
                // authorization reused: each order is validated against nginx.
                .env("PEBBLE_VA_NOSLEEP", "1")
                .env("PEBBLE_WFE_NONCEREJECT", "0")
                .env("PEBBLE_AUTHZREUSE", "0")
                .stdout(std::fs::File::create(dir.join("pebble.log")).unwrap())
                .stderr(Stdio::null())
                .spawn()
                .expect("pebble (apt install pebble; `make test` does)"),
        );
        let pebble = Pebble {
            directory_url: format!("https://localhost:{port}/dir"),
            management,
            listener_ca: ca.cert(),
            _dns: dns,
            _pebble: pebble,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "pebble never listened");
            std::thread::sleep(Duration::from_millis(100));
        }
        pebble
    }

    /// The root pebble signs the certificates it issues with (a new one each run).
    fn issuing_root(&self, into: &Path) -> PathBuf {
        let output = Command::new("curl")
            .args(["-sSf", "--cacert"])
            .arg(&self.listener_ca)
            .arg(format!("https://localhost:{}/roots/0", self.management))
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        std::fs::write(into, &output.stdout).unwrap();
        into.to_owned()
    }
}

/// The certificate object of `domain` in the system API's view of tenant `id`.
async fn certificate(stack: &Stack, id: &str, domain: &str) -> Value {
    let details: Value = stack
        .admin(Method::GET, &format!("/api/v1/sys/tenants/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    details["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["domain"] == domain)
        .unwrap_or_else(|| panic!("{domain} is not listed: {details}"))["certificate"]
        .clone()
}

/// Waits until `domain`'s certificate is valid (and, when given, expires after `after`).
async fn until_valid(stack: &Stack, id: &str, domain: &str, after: Option<&str>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let certificate = certificate(stack, id, domain).await;
        if certificate["status"] == "valid"
            && after.is_none_or(|a| certificate["not_after"].as_str() > Some(a))
        {
            return certificate;
        }
        assert!(
            Instant::now() < deadline,
            "{domain}: no certificate: {certificate}\n{}",
            stack.backend_log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Whether an HTTPS request for `name` succeeds, verified against `root` only.
fn verifies(name: &str, tls_port: u16, root: &Path) -> bool {
    Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "--max-time", "10", "--cacert"])
        .arg(root)
        .arg("--resolve")
        .arg(format!("{name}:{tls_port}:127.0.0.1"))
        .arg(format!("https://{name}:{tls_port}/healthz"))
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn registered_domains_get_certificates_from_the_authority_and_renew_them() {
    let dir =
        std::env::temp_dir().join(format!("chameleon-acme-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let http_port = free_port();
    let pebble = Pebble::start(&dir, http_port);
    let stack = Stack::start_opts(StackOptions {
        http_port: Some(http_port),
        // HTTPS on, with a local certificate for a name no ACME order is for.
        tls_domains: vec!["localhost"],
        backend_env: vec![
            ("ACME_DIRECTORY_URL", pebble.directory_url.clone()),
            (
                "ACME_CA_FILE",
                pebble.listener_ca.to_string_lossy().into_owned(),
            ),
            ("ACME_CONTACT", "mailto:ops@shop.example".to_owned()),
            ("ACME_POLL_SECS", "1".to_owned()),
        ],
        ..StackOptions::default()
    })
    .await;
    let (tls_port, _) = stack.tls.clone().unwrap();
    let tenant = stack.provision("shop.example", "#ff0000").await;
    let id = tenant.tenant_id.to_string();

    // The provisioned domain gets a certificate, which verifies against pebble's root.
    let first = until_valid(&stack, &id, "shop.example", None).await;
    assert_eq!(first["last_error"], Value::Null);
    let root = pebble.issuing_root(&dir.join("pebble-root.pem"));
    assert!(verifies("shop.example", tls_port, &root));

    // A domain added through the system API gets one too.
    let added = stack
        .admin(Method::POST, &format!("/api/v1/sys/tenants/{id}/domains"))
        .json(&json!({"domain": "www.shop.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        added.status(),
        StatusCode::CREATED,
        "{:?}",
        added.text().await
    );
    until_valid(&stack, &id, "www.shop.example", None).await;
    assert!(verifies("www.shop.example", tls_port, &root));

    // One about to expire is renewed: a new certificate, expiring later.
    let key_before = std::fs::read(dir_of(&stack).join("shop.example.crt")).unwrap();
    stack
        .db
        .inspect()
        .await
        .execute(
            "UPDATE public.domain_certificates SET not_after = now() + interval '1 day' \
             WHERE domain = 'shop.example'",
            &[],
        )
        .await
        .unwrap();
    let soon = certificate(&stack, &id, "shop.example").await["not_after"]
        .as_str()
        .unwrap()
        .to_owned();
    until_valid(&stack, &id, "shop.example", Some(&soon)).await;
    let key_after = std::fs::read(dir_of(&stack).join("shop.example.crt")).unwrap();
    assert_ne!(key_before, key_after, "the certificate was replaced");
    assert!(verifies("shop.example", tls_port, &root));

    // A name no tenant registered: asking for it gets it nothing, not even an order.
    let res = stack
        .request(Method::GET, "unknown.example", "/api/v1/store/config")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!dir_of(&stack).join("unknown.example.crt").exists());
    assert!(!verifies("unknown.example", tls_port, &root));
    // Nor does anyone get an answer to a challenge for it.
    let res = stack
        .request(
            Method::GET,
            "unknown.example",
            "/.well-known/acme-challenge/abc",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let _ = std::fs::remove_dir_all(&dir);
}

fn dir_of(stack: &Stack) -> PathBuf {
    stack.dir.join("certs")
}
