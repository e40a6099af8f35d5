//! What every handler shares: the use cases, the admin credential, the readiness check.

use std::fmt;
use std::sync::Arc;

use chameleon_core::ports::Ports;
use chameleon_core::service::Chameleon;
use futures_util::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Answers whether the service's dependencies (the database) are reachable now.
pub type ReadinessCheck = Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// A readiness check that always passes, for adapters with nothing to reach (the fakes).
pub fn always_ready() -> ReadinessCheck {
    Arc::new(|| Box::pin(async { Ok(()) }))
}

/// Shared by all handlers through `web::Data`.
pub struct AppState<P: Ports> {
    pub app: Chameleon<P>,
    /// SHA-256 of the admin token: the token itself is not kept, and digests of equal length
    /// compare in constant time whatever the length of a guess.
    admin_token_digest: [u8; 32],
    readiness: ReadinessCheck,
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
            admin_token_digest: Sha256::digest(admin_token.expose_secret().as_bytes()).into(),
            readiness,
        }
    }

    /// Whether `presented` is the admin token, in constant time.
    pub fn is_admin_token(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest.ct_eq(&self.admin_token_digest).into()
    }

    pub async fn ready(&self) -> anyhow::Result<()> {
        (self.readiness)().await
    }
}
