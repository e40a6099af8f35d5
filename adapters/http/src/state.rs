//! What every handler shares: the use cases, the admin credential, the readiness check.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chameleon_core::ports::Ports;
use chameleon_core::service::Chameleon;
use futures_util::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::client_budget::ClientBudget;

/// Requests for unknown hosts a client may send a second (and at once) before it gets 429:
/// a person mistyping a restaurant's address never comes close.
pub const UNKNOWN_HOSTS_PER_CLIENT_PER_SECOND: u32 = 5;
pub const UNKNOWN_HOSTS_PER_CLIENT_BURST: u32 = 20;

/// Answers whether the service's dependencies (the database) are reachable now.
pub type ReadinessCheck = Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

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
    /// SHA-256 of the admin token: the token itself is not kept, and digests of equal length
    /// compare in constant time whatever the length of a guess.
    admin_token_digest: [u8; 32],
    readiness: ReadinessCheck,
    warm_up: Option<WorkerWarmUp>,
    /// Set when a shutdown began: readiness answers 503 from then on.
    draining: Arc<AtomicBool>,
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
            readiness,
            warm_up: None,
            draining: Arc::default(),
        }
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

    /// Ready: not shutting down, and the dependencies answer.
    pub async fn ready(&self) -> anyhow::Result<()> {
        if self.draining.load(Ordering::Acquire) {
            anyhow::bail!("shutting down");
        }
        (self.readiness)().await
    }

    /// The flag a shutdown sets.
    pub fn draining(&self) -> Arc<AtomicBool> {
        self.draining.clone()
    }
}
