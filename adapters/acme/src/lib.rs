//! Certificates for every tenant's domain, from an ACME certificate authority (RFC 8555) over
//! HTTP-01, written where nginx reads them (`<TLS_CERT_DIR>/<domain>.crt` and `.key`), renewed
//! before they expire.
//!
//! An [`Issuer`] runs in every `chameleon serve`. Each pass asks the [`CertificateLedger`] (the
//! control plane: shared by every instance) for the registered domains due a certificate (none
//! yet, a retry due, or expiring within `renew_before`), each leased to this instance alone, and
//! orders one for each. A challenge's answer is kept in the ledger, so whichever instance the
//! authority's request reaches answers it (`GET /.well-known/acme-challenge/{token}`, passed on
//! by nginx over plain HTTP). A failure is recorded with its reason (the system API shows it per
//! domain) and retried after a growing backoff. Passes run when a tenant's domains change (the
//! instance hears it through the cache invalidations: [`Issuer::waker`]) and every
//! `poll` otherwise.
//!
//! Only registered domains are ever ordered for: the ledger lists them, never a name a client
//! sent. A new certificate needs no reload: nginx reads the files at each handshake. Files are
//! written beside their names and renamed into place, the key first, `0640` (the directory's
//! group, nginx's workers', is inherited from its set-group-id bit).
//!
//! The ACME account is made once per directory URL and kept, `0600`, in the certificate
//! directory (`acme-account.json`: never a name nginx reads, which are `*.crt` and `*.key`).

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, bail};
use chameleon_core::ports::CertificateLedger;
use chameleon_core::tenant::Domain;
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, OrderStatus, RetryPolicy,
};
use tokio::sync::{Mutex, Notify};

/// How long a challenge's answer is kept: longer than any authority takes to check it.
const CHALLENGE_KEPT: Duration = Duration::from_secs(3600);

/// Domains ordered for in one pass, at most.
const PER_PASS: usize = 10;

/// How the issuer runs (README: "HTTPS").
#[derive(Debug, Clone)]
pub struct AcmeSettings {
    /// The authority's directory (`ACME_DIRECTORY_URL`).
    pub directory_url: String,
    /// Who the authority may write to, e.g. `mailto:ops@example.com` (`ACME_CONTACT`).
    pub contact: Option<String>,
    /// The root the client trusts for the authority's own HTTPS instead of the system's
    /// (`ACME_CA_FILE`: a test authority's, say).
    pub ca_file: Option<PathBuf>,
    /// Where nginx reads certificates (`TLS_CERT_DIR`).
    pub cert_dir: PathBuf,
    /// Certificates are renewed this long before they expire (30 days).
    pub renew_before: Duration,
    /// A pass runs at least this often (domains added through another instance are heard of
    /// at once anyway).
    pub poll: Duration,
    /// How long a domain is this instance's alone once taken (longer than an order takes).
    pub lease: Duration,
    /// How long the authority gets to validate an order, and to issue its certificate.
    pub order_timeout: Duration,
}

impl AcmeSettings {
    pub fn new(directory_url: String, cert_dir: PathBuf) -> Self {
        Self {
            directory_url,
            contact: None,
            ca_file: None,
            cert_dir,
            renew_before: Duration::from_secs(30 * 24 * 3600),
            poll: Duration::from_secs(60),
            lease: Duration::from_secs(600),
            order_timeout: Duration::from_secs(90),
        }
    }
}

/// Orders, writes and renews certificates (see the crate's documentation).
pub struct Issuer<L> {
    ledger: L,
    settings: AcmeSettings,
    wake: Arc<Notify>,
    account: Mutex<Option<Account>>,
}

impl<L> std::fmt::Debug for Issuer<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<L: CertificateLedger> Issuer<L> {
    pub fn new(ledger: L, settings: AcmeSettings) -> Self {
        Self {
            ledger,
            settings,
            wake: Arc::new(Notify::new()),
            account: Mutex::new(None),
        }
    }

    /// Notified, it starts a pass at once (a domain was added).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Passes until the task is dropped: at start, whenever woken, and every `poll`. A pass that
    /// fails (the database unreachable) is retried at the next.
    pub async fn run(self) {
        loop {
            match self.pass().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(domains = n, "certificate pass done"),
                Err(err) => {
                    tracing::warn!(error = format!("{err:#}"), "a certificate pass failed");
                }
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.settings.poll) => {}
            }
        }
    }

    /// Orders a certificate for every domain due one (up to [`PER_PASS`]); how many were tried.
    pub async fn pass(&self) -> anyhow::Result<usize> {
        let due = self
            .ledger
            .take_due(self.settings.renew_before, self.settings.lease, PER_PASS)
            .await?;
        for domain in &due {
            match self.issue(domain).await {
                Ok(not_after) => {
                    self.ledger.issued(domain, not_after).await?;
                    tracing::info!(domain = domain.as_str(), "certificate issued");
                }
                Err(err) => {
                    let error = format!("{err:#}");
                    tracing::warn!(domain = domain.as_str(), error, "certificate order failed");
                    self.ledger.failed(domain, &error).await?;
                }
            }
        }
        Ok(due.len())
    }

    /// Orders, fetches and writes a certificate for `domain`; when it expires.
    async fn issue(&self, domain: &Domain) -> anyhow::Result<SystemTime> {
        let mut guard = self.account.lock().await;
        let account = match guard.take() {
            Some(account) => account,
            None => self.account().await?,
        };
        let issued = self.order(&account, domain).await;
        *guard = Some(account);
        issued
    }

    async fn order(&self, account: &Account, domain: &Domain) -> anyhow::Result<SystemTime> {
        let identifiers = [Identifier::Dns(domain.as_str().to_owned())];
        let mut order = account
            .new_order(&NewOrder::new(&identifiers))
            .await
            .context("placing the order")?;
        let mut tokens = Vec::new();
        let answered = async {
            let mut authorizations = order.authorizations();
            while let Some(authorization) = authorizations.next().await {
                let mut authorization = authorization.context("reading an authorization")?;
                match authorization.status {
                    AuthorizationStatus::Pending => {}
                    AuthorizationStatus::Valid => continue,
                    other => bail!("the authorization is {other:?}"),
                }
                let mut challenge = authorization
                    .challenge(ChallengeType::Http01)
                    .context("the authority offers no HTTP-01 challenge")?;
                let token = challenge.token.clone();
                let key_authorization = challenge.key_authorization().as_str().to_owned();
                self.ledger
                    .put_challenge(
                        domain,
                        &token,
                        &key_authorization,
                        SystemTime::now() + CHALLENGE_KEPT,
                    )
                    .await?;
                tokens.push(token);
                challenge
                    .set_ready()
                    .await
                    .context("telling the authority the challenge is ready")?;
            }
            anyhow::Ok(())
        }
        .await;
        let status = match answered {
            Ok(()) => order
                .poll_ready(&self.retries())
                .await
                .context("waiting for the authority to validate the order"),
            Err(err) => Err(err),
        };
        for token in &tokens {
            if let Err(err) = self.ledger.drop_challenge(token).await {
                tracing::warn!(error = format!("{err:#}"), "forgetting a challenge failed");
            }
        }
        let status = status?;
        if status != OrderStatus::Ready {
            let problem = order
                .state()
                .error
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "no reason given".to_owned());
            bail!("the order is {status:?}: {problem}");
        }
        let key_pem = order.finalize().await.context("finalizing the order")?;
        let chain_pem = order
            .poll_certificate(&self.retries())
            .await
            .context("fetching the certificate")?;
        let not_after = not_after(&chain_pem)?;
        install(&self.settings.cert_dir, domain, &chain_pem, &key_pem)?;
        Ok(not_after)
    }

    fn retries(&self) -> RetryPolicy {
        RetryPolicy::default().timeout(self.settings.order_timeout)
    }

    /// The account for this directory: the one kept in the certificate directory, or a new one
    /// (then kept).
    async fn account(&self) -> anyhow::Result<Account> {
        let path = self.settings.cert_dir.join("acme-account.json");
        let builder = || match &self.settings.ca_file {
            Some(ca) => Account::builder_with_root(ca)
                .with_context(|| format!("ACME_CA_FILE {}", ca.display())),
            None => Account::builder().context("the system's roots"),
        };
        if let Ok(text) = fs::read_to_string(&path)
            && let Ok(kept) = serde_json::from_str::<KeptAccount>(&text)
            && kept.directory_url == self.settings.directory_url
        {
            return builder()?
                .from_credentials(kept.credentials)
                .await
                .context("restoring the ACME account");
        }
        let contact: Vec<&str> = self.settings.contact.iter().map(String::as_str).collect();
        let (account, credentials) = builder()?
            .create(
                &NewAccount {
                    contact: &contact,
                    terms_of_service_agreed: true,
                    only_return_existing: false,
                },
                self.settings.directory_url.clone(),
                None,
            )
            .await
            .with_context(|| format!("creating an account at {}", self.settings.directory_url))?;
        let kept = serde_json::to_vec(&KeptAccount {
            directory_url: self.settings.directory_url.clone(),
            credentials,
        })?;
        write_atomically(&path, &kept, 0o600)?;
        Ok(account)
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct KeptAccount {
    directory_url: String,
    credentials: AccountCredentials,
}

/// When the first certificate of a PEM chain expires.
pub fn not_after(chain_pem: &str) -> anyhow::Result<SystemTime> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(chain_pem.as_bytes())
        .map_err(|e| anyhow::anyhow!("the chain is not PEM: {e}"))?;
    let cert = pem
        .parse_x509()
        .map_err(|e| anyhow::anyhow!("the certificate does not parse: {e}"))?;
    let secs = cert.validity().not_after.timestamp();
    let secs = u64::try_from(secs).context("a certificate that expired before 1970")?;
    Ok(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// Puts `chain` and `key` in place for `domain` in `dir`: the key first (`0640`), each written
/// beside its name and renamed, so nginx never reads half of one.
pub fn install(dir: &Path, domain: &Domain, chain: &str, key: &str) -> anyhow::Result<()> {
    write_atomically(
        &dir.join(format!("{}.key", domain.as_str())),
        key.as_bytes(),
        0o640,
    )?;
    write_atomically(
        &dir.join(format!("{}.crt", domain.as_str())),
        chain.as_bytes(),
        0o644,
    )
}

fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).map_err(|e| anyhow::anyhow!("no random bytes: {e}"))?;
    let partial = path.with_extension(format!(
        "partial-{}",
        suffix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ));
    let written = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&partial)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        // The mode asked for, whatever the umask took away.
        fs::set_permissions(&partial, fs::Permissions::from_mode(mode))?;
        fs::rename(&partial, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&partial);
    }
    written.with_context(|| format!("writing {}", path.display()))
}
