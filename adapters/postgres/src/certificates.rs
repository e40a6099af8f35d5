//! [`PgCertificates`]: the certificate issuer's memory in the control plane
//! (`public.domain_certificates`, `public.acme_challenges`; migration V8), on the control pool.

use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use chameleon_core::ports::CertificateLedger;
use chameleon_core::tenant::Domain;

use crate::pool::PgPool;
use crate::sqlstate::AtSeam as _;

/// Registered domains due a certificate (see [`CertificateLedger::take_due`]), leased in the same
/// statement: a row another instance leased meanwhile fails the `ON CONFLICT` condition once its
/// lock is released, and is not returned. `$1` renew-before and `$2` lease, in seconds; `$3`
/// how many.
const TAKE_DUE: &str = "\
    WITH due AS ( \
        SELECT d.domain FROM public.tenant_domains d \
        LEFT JOIN public.domain_certificates c ON c.domain = d.domain \
        WHERE d.domain !~ '(^|\\.)localhost$' \
          AND (c.domain IS NULL \
               OR ((c.lease_until IS NULL OR c.lease_until < now()) \
                   AND ((c.status <> 'valid' AND c.next_attempt_at <= now()) \
                        OR (c.status = 'valid' AND c.not_after < now() + make_interval(secs => $1) \
                            AND c.next_attempt_at <= now())))) \
        ORDER BY c.next_attempt_at NULLS FIRST, d.domain \
        LIMIT $3 \
    ) \
    INSERT INTO public.domain_certificates AS c (domain, status, lease_until) \
    SELECT domain, 'pending', now() + make_interval(secs => $2) FROM due \
    ON CONFLICT (domain) DO UPDATE \
        SET lease_until = excluded.lease_until, \
            status = CASE WHEN c.status = 'valid' THEN 'valid' ELSE 'pending' END, \
            updated_at = now() \
        WHERE c.lease_until IS NULL OR c.lease_until < now() \
    RETURNING domain";

const ISSUED: &str = "\
    UPDATE public.domain_certificates SET status = 'valid', not_after = $2, last_error = NULL, \
        attempts = 0, next_attempt_at = now(), lease_until = NULL, updated_at = now() \
    WHERE domain = $1";

/// The next attempt after 1, 2, 4, ... minutes (at most 6 hours), a tenth of it at random
/// added so that domains failing together are not retried together.
const FAILED: &str = "\
    UPDATE public.domain_certificates SET \
        status = CASE WHEN status = 'valid' AND not_after > now() THEN 'valid' ELSE 'failed' END, \
        last_error = left($2, 1000), attempts = attempts + 1, \
        next_attempt_at = now() + make_interval(secs => \
            least(60 * power(2, least(attempts, 20)), 21600) * (1 + random() / 10)), \
        lease_until = NULL, updated_at = now() \
    WHERE domain = $1";

const PUT_CHALLENGE: &str = "\
    INSERT INTO public.acme_challenges (token, domain, key_authorization, expires_at) \
    VALUES ($1, $2, $3, $4) \
    ON CONFLICT (token) DO UPDATE SET domain = excluded.domain, \
        key_authorization = excluded.key_authorization, expires_at = excluded.expires_at";

const CHALLENGE: &str = "\
    SELECT key_authorization FROM public.acme_challenges \
    WHERE token = $1 AND domain = $2 AND expires_at > now()";

const DROP_CHALLENGE: &str =
    "DELETE FROM public.acme_challenges WHERE token = $1 OR expires_at < now()";

/// The issuer's memory in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgCertificates {
    pool: PgPool,
}

impl PgCertificates {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// Whole seconds as PostgreSQL's `double precision`.
fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

impl CertificateLedger for PgCertificates {
    async fn take_due(
        &self,
        renew_before: Duration,
        lease: Duration,
        limit: usize,
    ) -> anyhow::Result<Vec<Domain>> {
        let conn = self.pool.get().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = conn
            .client()
            .query(TAKE_DUE, &[&secs(renew_before), &secs(lease), &limit])
            .await
            .at_seam()
            .context("finding the domains due a certificate")?;
        rows.iter()
            .map(|row| Ok(Domain::parse(row.try_get("domain")?)?))
            .collect()
    }

    async fn issued(&self, domain: &Domain, not_after: SystemTime) -> anyhow::Result<()> {
        let conn = self.pool.get().await?;
        conn.client()
            .execute(ISSUED, &[&domain.as_str(), &not_after])
            .await
            .at_seam()
            .context("recording a certificate")?;
        Ok(())
    }

    async fn failed(&self, domain: &Domain, error: &str) -> anyhow::Result<()> {
        let conn = self.pool.get().await?;
        conn.client()
            .execute(FAILED, &[&domain.as_str(), &error])
            .await
            .at_seam()
            .context("recording a failed certificate order")?;
        Ok(())
    }

    async fn put_challenge(
        &self,
        domain: &Domain,
        token: &str,
        key_authorization: &str,
        expires_at: SystemTime,
    ) -> anyhow::Result<()> {
        let conn = self.pool.get().await?;
        conn.client()
            .execute(
                PUT_CHALLENGE,
                &[&token, &domain.as_str(), &key_authorization, &expires_at],
            )
            .await
            .at_seam()
            .context("keeping a challenge's answer")?;
        Ok(())
    }

    async fn challenge(&self, domain: &Domain, token: &str) -> anyhow::Result<Option<String>> {
        let conn = self.pool.get().await?;
        let row = conn
            .client()
            .query_opt(CHALLENGE, &[&token, &domain.as_str()])
            .await
            .at_seam()
            .context("reading a challenge's answer")?;
        Ok(row.map(|row| row.get(0)))
    }

    async fn drop_challenge(&self, token: &str) -> anyhow::Result<()> {
        let conn = self.pool.get().await?;
        conn.client()
            .execute(DROP_CHALLENGE, &[&token])
            .await
            .at_seam()
            .context("forgetting a challenge")?;
        Ok(())
    }
}
