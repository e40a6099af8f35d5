//! What the platform's certificate issuer (the ACME adapter) needs to remember, shared by every
//! instance: which registered domains are due a certificate, where each stands, and the HTTP-01
//! challenge tokens any instance must be able to answer.

use std::future::Future;
use std::time::{Duration, SystemTime};

use crate::tenant::Domain;

/// The issuer's memory.
pub trait CertificateLedger: Send + Sync + 'static {
    /// Registered domains (only those: never a name a client merely sent) that need a
    /// certificate now: none asked for yet, one whose next attempt is due, or one that expires
    /// within `renew_before`; at most `limit`. Each is leased to the caller for `lease` (no
    /// other instance gets it meanwhile) and marked `pending` unless it holds a valid one.
    /// Names no public authority can certify (`localhost` and below) are never due.
    fn take_due(
        &self,
        renew_before: Duration,
        lease: Duration,
        limit: usize,
    ) -> impl Future<Output = anyhow::Result<Vec<Domain>>> + Send;

    /// A certificate was issued for `domain`, valid until `not_after`: `valid`, the error and the
    /// attempts cleared, the lease released.
    fn issued(
        &self,
        domain: &Domain,
        not_after: SystemTime,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// An order for `domain` failed: `failed` (or still `valid` while the one held lasts), the
    /// error kept, the next attempt after a backoff that grows with each failure.
    fn failed(
        &self,
        domain: &Domain,
        error: &str,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Keeps the answer to challenge `token` for `domain` until `expires_at`.
    fn put_challenge(
        &self,
        domain: &Domain,
        token: &str,
        key_authorization: &str,
        expires_at: SystemTime,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// The answer to challenge `token` asked for on `domain`, while it is kept.
    fn challenge(
        &self,
        domain: &Domain,
        token: &str,
    ) -> impl Future<Output = anyhow::Result<Option<String>>> + Send;

    /// Forgets challenge `token` (answered, or given up) and any that expired.
    fn drop_challenge(&self, token: &str) -> impl Future<Output = anyhow::Result<()>> + Send;
}
