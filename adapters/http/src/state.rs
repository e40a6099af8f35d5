//! What every handler shares: the use cases, the admin credential, the readiness check.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chameleon_core::ports::Ports;
use chameleon_core::service::Chameleon;
use chameleon_core::tenant::Domain;
use futures_util::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::client_budget::ClientBudget;
use crate::networks::Networks;

/// Requests for unknown hosts a client may send a second (and at once) before it gets 429:
/// a person mistyping a restaurant's address never comes close.
pub const UNKNOWN_HOSTS_PER_CLIENT_PER_SECOND: u32 = 5;
pub const UNKNOWN_HOSTS_PER_CLIENT_BURST: u32 = 20;

/// Order tracking requests a client may send a second (and at once): a tracking page polls
/// every few seconds; a client over this gets 429 `rate_limited` (nginx limits the same route
/// in front, per address, too).
pub const TRACKING_PER_CLIENT_PER_SECOND: u32 = 5;
pub const TRACKING_PER_CLIENT_BURST: u32 = 30;

/// How long a readiness answer is reused: `/readyz` costs the database at most one query per
/// this, per process, however often it is asked.
pub const READINESS_REUSED_FOR: Duration = Duration::from_secs(1);

/// Who may reach what, by address.
#[derive(Debug, Clone)]
pub struct Access {
    /// Clients that may reach `/api/v1/sys/` (`SYS_ALLOW`); `None`: every client (the HTTP
    /// adapter's own tests, over the fakes). Others are told there is nothing there (404).
    pub sys_allow: Option<Networks>,
    /// Peers whose `X-Real-IP` names the client (`TRUSTED_PROXIES`, and loopback: nginx beside
    /// the service). Anyone else is the client itself.
    pub trusted_proxies: Networks,
}

impl Default for Access {
    fn default() -> Self {
        Self {
            sys_allow: None,
            trusted_proxies: Networks::loopback(),
        }
    }
}

/// Staff sign-in: how long sessions and setup links last, how many failed sign-ins are let
/// through, and the password hashing pool.
#[derive(Debug, Clone)]
pub struct StaffSettings {
    /// A session unused this long ends (`STAFF_SESSION_IDLE_MINUTES`, 720).
    pub session_idle: Duration,
    /// A session ends this long after sign-in whatever its use (`STAFF_SESSION_MAX_DAYS`, 30).
    pub session_max: Duration,
    /// How long a setup link (invitation, reset) is valid: 72 hours.
    pub setup_valid: Duration,
    /// Failed sign-ins per account within `failure_window` before 429
    /// (`STAFF_LOGIN_FAILURES_PER_ACCOUNT`, 5).
    pub failures_per_account: u32,
    /// Failed sign-ins per client address within `failure_window` before 429
    /// (`STAFF_LOGIN_FAILURES_PER_ADDRESS`, 20).
    pub failures_per_address: u32,
    /// 15 minutes.
    pub failure_window: Duration,
    pub hasher: crate::passwords::Hasher,
}

impl StaffSettings {
    /// The defaults (see each field), with a hashing pool of one thread.
    pub fn defaults() -> anyhow::Result<Self> {
        Ok(Self::defaults_with(crate::passwords::Hasher::new(1)?))
    }

    /// The defaults, hashing on `hasher`.
    pub fn defaults_with(hasher: crate::passwords::Hasher) -> Self {
        Self {
            session_idle: Duration::from_secs(720 * 60),
            session_max: Duration::from_secs(30 * 86_400),
            setup_valid: Duration::from_secs(72 * 3_600),
            failures_per_account: 5,
            failures_per_address: 20,
            failure_window: Duration::from_secs(15 * 60),
            hasher,
        }
    }
}

/// Answers whether the service's dependencies (the database) are reachable now.
pub type ReadinessCheck = Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// The answer to an ACME HTTP-01 challenge: the key authorization kept for `token` on
/// `domain`, if any (see [`crate::handlers::acme`]).
pub type AcmeChallenges =
    Arc<dyn Fn(Domain, String) -> BoxFuture<'static, anyhow::Result<Option<String>>> + Send + Sync>;

/// Prepares the calling worker thread before it serves (opens its database connections, say).
/// Each HTTP worker runs it once at start-up.
pub type WorkerWarmUp = Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// A readiness check that always passes, for adapters with nothing to reach (the fakes).
pub fn always_ready() -> ReadinessCheck {
    Arc::new(|| Box::pin(async { Ok(()) }))
}

/// Shared by all handlers through `web::Data`.
pub struct AppState<P: Ports> {
    pub app: Chameleon<P>,
    /// Each client's budget of requests for hosts no tenant has.
    pub unknown_hosts: ClientBudget,
    /// Each client's budget of order tracking requests.
    pub tracking: ClientBudget,
    /// Each client's budget of pickup board requests (`/api/v1/store/slots`), the same size.
    pub slots: ClientBudget,
    /// Each client's budget of ACME challenge lookups (each costs a query).
    pub challenge_lookups: ClientBudget,
    /// Where challenge answers are kept; `None`: every challenge is 404.
    pub acme_challenges: Option<AcmeChallenges>,
    pub access: Access,
    /// Staff sign-in; `None` until [`AppState::with_staff`] (sign-in answers 503 meanwhile).
    pub staff: Option<StaffSettings>,
    /// SHA-256 of the admin token: the token itself is not kept, and digests of equal length
    /// compare in constant time whatever the length of a guess.
    admin_token_digest: [u8; 32],
    readiness: ReadinessCheck,
    warm_up: Option<WorkerWarmUp>,
    /// Set when a shutdown began: readiness answers 503 from then on.
    draining: Arc<AtomicBool>,
    /// The last readiness answer and when it was made (see [`READINESS_REUSED_FOR`]).
    last_readiness: Mutex<Option<(Instant, Result<(), String>)>>,
    /// Set while one request checks readiness; the others reuse the last answer meanwhile.
    checking_readiness: AtomicBool,
}

impl<P: Ports> fmt::Debug for AppState<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl<P: Ports> AppState<P> {
    pub fn new(app: Chameleon<P>, admin_token: &SecretString, readiness: ReadinessCheck) -> Self {
        Self {
            app,
            unknown_hosts: ClientBudget::new(
                UNKNOWN_HOSTS_PER_CLIENT_PER_SECOND,
                UNKNOWN_HOSTS_PER_CLIENT_BURST,
            ),
            admin_token_digest: Sha256::digest(admin_token.expose_secret().as_bytes()).into(),
            tracking: ClientBudget::new(TRACKING_PER_CLIENT_PER_SECOND, TRACKING_PER_CLIENT_BURST),
            slots: ClientBudget::new(TRACKING_PER_CLIENT_PER_SECOND, TRACKING_PER_CLIENT_BURST),
            challenge_lookups: ClientBudget::new(
                UNKNOWN_HOSTS_PER_CLIENT_PER_SECOND,
                UNKNOWN_HOSTS_PER_CLIENT_BURST,
            ),
            acme_challenges: None,
            access: Access::default(),
            staff: None,
            readiness,
            warm_up: None,
            draining: Arc::default(),
            last_readiness: Mutex::new(None),
            checking_readiness: AtomicBool::new(false),
        }
    }

    /// Answers ACME challenges from `answers`.
    pub fn with_acme_challenges(mut self, answers: Option<AcmeChallenges>) -> Self {
        self.acme_challenges = answers;
        self
    }

    /// Staff sign-in with `settings`.
    pub fn with_staff(mut self, settings: StaffSettings) -> Self {
        self.staff = Some(settings);
        self
    }

    /// Applies `access` instead of the default (every client may reach the system API).
    pub fn with_access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    /// Has every HTTP worker run `warm_up` once before it serves.
    pub fn with_worker_warm_up(mut self, warm_up: WorkerWarmUp) -> Self {
        self.warm_up = Some(warm_up);
        self
    }

    /// Runs the worker warm-up, if any; a failure is logged, not fatal (the worker then opens
    /// its connections on demand).
    pub async fn warm_up_worker(&self) {
        if let Some(warm_up) = &self.warm_up
            && let Err(err) = warm_up().await
        {
            tracing::warn!(error = format!("{err:#}"), "warming up a worker failed");
        }
    }

    /// Whether `presented` is the admin token, in constant time.
    pub fn is_admin_token(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest.ct_eq(&self.admin_token_digest).into()
    }

    /// Ready: not shutting down, and the dependencies answered when last asked. The check runs
    /// at most once per [`READINESS_REUSED_FOR`], by one request at a time: a flood of `/readyz`
    /// costs the database (and the pool other tenants share) nothing more.
    pub async fn ready(&self) -> anyhow::Result<()> {
        if self.draining.load(Ordering::Acquire) {
            anyhow::bail!("shutting down");
        }
        let last = self
            .last_readiness
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let fresh = last
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < READINESS_REUSED_FOR);
        let may_check = !fresh
            && self
                .checking_readiness
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
        let answer = match last {
            Some((_, answer)) if !may_check => answer,
            // Never checked, and someone is checking: wait for no one, answer "not yet".
            None if !may_check => Err("readiness is being checked".to_owned()),
            _ => {
                // Cleared however this ends, a request given up on mid-check included.
                let _checking = ClearOnDrop(&self.checking_readiness);
                let answer = (self.readiness)().await.map_err(|err| format!("{err:#}"));
                *self
                    .last_readiness
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), answer.clone()));
                answer
            }
        };
        answer.map_err(anyhow::Error::msg)
    }

    /// The flag a shutdown sets.
    pub fn draining(&self) -> Arc<AtomicBool> {
        self.draining.clone()
    }
}

/// Clears its flag when dropped.
struct ClearOnDrop<'a>(&'a AtomicBool);

impl Drop for ClearOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}
