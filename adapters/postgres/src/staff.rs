//! The staff repository over a tenant's staff tables (tenant migration V5).
//!
//! Every method runs in a [`TenantTx`]: under the tenant's role, in its schema. A handle that
//! acts with a session has it checked by the transaction's first message; a change appends its
//! audit line with the statement that commits.

use std::time::Duration;

use anyhow::Context as _;
use chameleon_core::ports::{StaffError, StaffRepository};
use chameleon_core::staff::{
    AuditAction, AuditCursor, AuditPage, Credential, Email, Grant, NewStaffUser, PasswordHash,
    SignInRecord, StaffId, StaffPatch, StaffUser, TokenDigest, is_enabled_owner,
};
use chameleon_core::tenant::Tenant;
use uuid::Uuid;

use crate::pool::PgPool;
use crate::tables::NOTHING;
use crate::tables::staff::{self, from_row, system_time, timestamp};
use crate::tenant_tx::TenantTx;

/// [`StaffRepository`] over each tenant's staff tables.
#[derive(Debug, Clone)]
pub struct PgStaff {
    pool: PgPool,
}

impl PgStaff {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// The session digest `tenant` acts with, if it acts with one.
fn session_of(tenant: &Tenant) -> Option<TokenDigest> {
    match tenant.acting.as_ref().map(|a| &a.credential) {
        Some(Credential::Session(digest)) => Some(*digest),
        _ => None,
    }
}

fn account_key(email: &Email) -> String {
    format!("account:{}", email.as_str())
}

fn address_key(address: &str) -> String {
    format!("address:{address}")
}

fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Whether, after `changed` becomes `after`, an enabled owner is left (`owners`: the enabled
/// owners now, locked).
fn owner_left(owners: &[Uuid], changed: StaffId, after: Option<&StaffUser>) -> bool {
    owners.iter().any(|id| *id != changed.as_uuid()) || after.is_some_and(is_enabled_owner)
}

async fn enabled_owners(tx: &mut TenantTx) -> anyhow::Result<Vec<Uuid>> {
    let rows = tx
        .query(staff::LOCK_OWNERS, &[])
        .await
        .context("locking the owners")?;
    rows.iter()
        .map(|r| r.try_get(0).map_err(Into::into))
        .collect()
}

async fn lock_user(
    tx: &mut TenantTx,
    id: StaffId,
) -> Result<(StaffUser, Option<PasswordHash>), StaffError> {
    let rows = tx
        .query(staff::LOCK, &[&id.as_uuid()])
        .await
        .context("locking a staff member")?;
    Ok(from_row(rows.first().ok_or(StaffError::NotFound(id))?)?)
}

async fn add_setup(tx: &mut TenantTx, id: StaffId, setup: &Grant) -> anyhow::Result<()> {
    let digest: &[u8] = setup.digest.as_bytes();
    tx.query(
        staff::ADD_SETUP,
        &[&digest, &id.as_uuid(), &system_time(setup.expires_at)],
    )
    .await
    .context("storing a setup link")?;
    Ok(())
}

async fn start_session(tx: &mut TenantTx, id: StaffId, session: &Grant) -> anyhow::Result<()> {
    let digest: &[u8] = session.digest.as_bytes();
    tx.query(
        staff::START_SESSION,
        &[
            &digest,
            &id.as_uuid(),
            &seconds(session.idle),
            &system_time(session.expires_at),
        ],
    )
    .await
    .context("starting a session")?;
    Ok(())
}

impl StaffRepository for PgStaff {
    async fn me(
        &self,
        tenant: &Tenant,
    ) -> Result<Option<(StaffUser, Option<PasswordHash>)>, StaffError> {
        let tx = TenantTx::begin(&self.pool, tenant).await?;
        let Some(digest) = session_of(tenant) else {
            // The gate is not needed: the API key was checked by the caller.
            tx.rollback().await?;
            return Ok(None);
        };
        let digest: &[u8] = digest.as_bytes();
        let rows = tx
            .query_and_commit(staff::BY_SESSION, &[&digest])
            .await
            .context("reading the session's member")?;
        Ok(rows.first().map(from_row).transpose()?)
    }

    async fn list(&self, tenant: &Tenant) -> Result<Vec<StaffUser>, StaffError> {
        let rows = TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(staff::LIST, &[])
            .await
            .context("listing staff")?;
        Ok(rows
            .iter()
            .map(|row| from_row(row).map(|(user, _)| user))
            .collect::<anyhow::Result<_>>()?)
    }

    async fn invite(
        &self,
        tenant: &Tenant,
        new: NewStaffUser,
        setup: Grant,
    ) -> Result<StaffUser, StaffError> {
        let id = StaffId::from_uuid(Uuid::now_v7());
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = tx
            .query(
                staff::INSERT,
                &[
                    &id.as_uuid(),
                    &new.email.as_str(),
                    &new.name.as_str(),
                    &new.role.as_str(),
                ],
            )
            .await
            .context("inviting a staff member")?;
        let Some(row) = rows.first() else {
            return Err(StaffError::EmailTaken(new.email.as_str().to_owned()));
        };
        let (user, _) = from_row(row)?;
        add_setup(&mut tx, id, &setup).await?;
        tx.audit_on_commit(AuditAction::StaffInvite, Some(id.to_string()));
        tx.query_and_commit(NOTHING, &[]).await?;
        Ok(user)
    }

    async fn update(
        &self,
        tenant: &Tenant,
        id: StaffId,
        patch: StaffPatch,
    ) -> Result<StaffUser, StaffError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let owners = enabled_owners(&mut tx).await?;
        let (before, _) = lock_user(&mut tx, id).await?;
        let mut after = before.clone();
        patch.apply(&mut after);
        if is_enabled_owner(&before) && !owner_left(&owners, id, Some(&after)) {
            return Err(StaffError::LastOwner);
        }
        let rows = tx
            .query(
                staff::UPDATE,
                &[
                    &id.as_uuid(),
                    &after.name.as_str(),
                    &after.role.as_str(),
                    &after.disabled,
                ],
            )
            .await
            .context("changing a staff member")?;
        let (stored, _) = from_row(rows.first().context("an update without its row")?)?;
        if patch.ends_sessions(&before, &after) {
            tx.query(staff::END_SESSIONS_OF, &[&id.as_uuid()])
                .await
                .context("ending sessions")?;
        }
        tx.audit_on_commit(AuditAction::StaffUpdate, Some(id.to_string()));
        tx.query_and_commit(NOTHING, &[]).await?;
        Ok(stored)
    }

    async fn remove(&self, tenant: &Tenant, id: StaffId) -> Result<(), StaffError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let owners = enabled_owners(&mut tx).await?;
        let (before, _) = lock_user(&mut tx, id).await?;
        if is_enabled_owner(&before) && !owner_left(&owners, id, None) {
            return Err(StaffError::LastOwner);
        }
        tx.query_all(&[
            (staff::END_SESSIONS_OF, &[&id.as_uuid()]),
            (staff::END_SETUPS_OF, &[&id.as_uuid()]),
            (staff::DELETE, &[&id.as_uuid()]),
        ])
        .await
        .context("removing a staff member")?;
        tx.audit_on_commit(AuditAction::StaffRemove, Some(id.to_string()));
        tx.query_and_commit(NOTHING, &[]).await?;
        Ok(())
    }

    async fn issue_setup(
        &self,
        tenant: &Tenant,
        id: StaffId,
        setup: Grant,
    ) -> Result<StaffUser, StaffError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let (user, _) = lock_user(&mut tx, id).await?;
        tx.query_all(&[
            (staff::END_SESSIONS_OF, &[&id.as_uuid()]),
            (staff::END_SETUPS_OF, &[&id.as_uuid()]),
        ])
        .await
        .context("ending a member's sessions and links")?;
        add_setup(&mut tx, id, &setup).await?;
        tx.audit_on_commit(AuditAction::StaffSetupLink, Some(id.to_string()));
        tx.query_and_commit(NOTHING, &[]).await?;
        Ok(user)
    }

    async fn first_owner(&self, tenant: &Tenant) -> Result<Option<StaffUser>, StaffError> {
        let rows = TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(staff::FIRST_OWNER, &[])
            .await
            .context("finding the owner")?;
        Ok(rows
            .first()
            .map(|row| from_row(row).map(|(user, _)| user))
            .transpose()?)
    }

    async fn redeem_setup(
        &self,
        tenant: &Tenant,
        token: TokenDigest,
        hash: PasswordHash,
        session: Grant,
    ) -> Result<StaffUser, StaffError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let digest: &[u8] = token.as_bytes();
        let rows = tx
            .query(staff::TAKE_SETUP, &[&digest])
            .await
            .context("taking a setup link")?;
        let Some(row) = rows.first() else {
            return Err(StaffError::InvalidSetupToken);
        };
        let id = StaffId::from_uuid(row.try_get(0).context("a setup link's member")?);
        let expires_at = timestamp(row.try_get(1).context("a setup link's end")?);
        let (member, _) = lock_user(&mut tx, id).await?;
        if expires_at <= jiff::Timestamp::now() || member.disabled {
            // The spent link is gone; nothing else changes.
            tx.query_and_commit(NOTHING, &[]).await?;
            return Err(StaffError::InvalidSetupToken);
        }
        // A new password from a link: the account's failed sign-ins are forgotten too.
        let account = account_key(&member.email);
        tx.query_all(&[
            (staff::SET_PASSWORD, &[&id.as_uuid(), &hash.as_str()]),
            (staff::END_SESSIONS_OF, &[&id.as_uuid()]),
            (staff::END_SETUPS_OF, &[&id.as_uuid()]),
            (staff::FORGET_FAILURES, &[&account]),
        ])
        .await
        .context("setting a password")?;
        start_session(&mut tx, id, &session).await?;
        let rows = tx
            .query_and_commit(staff::LOCK, &[&id.as_uuid()])
            .await
            .context("reading the member")?;
        let (user, _) = from_row(rows.first().context("the member is gone")?)?;
        Ok(user)
    }

    async fn sign_in_record(
        &self,
        tenant: &Tenant,
        email: &Email,
        address: &str,
        window: Duration,
    ) -> Result<SignInRecord, StaffError> {
        let keys = vec![account_key(email), address_key(address)];
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let rows = tx
            .query_all(&[
                (staff::BY_EMAIL, &[&email.as_str()]),
                (staff::FAILURES, &[&keys, &seconds(window)]),
            ])
            .await
            .context("reading a sign-in")?;
        tx.rollback().await?;
        let user = rows[0].first().map(from_row).transpose()?;
        let mut record = SignInRecord {
            user,
            account_failures: 0,
            address_failures: 0,
            retry_at: None,
        };
        for row in &rows[1] {
            let key: String = row.try_get(0).context("a failure key")?;
            let failures: i32 = row.try_get(1).context("a failure count")?;
            let ends = timestamp(row.try_get(2).context("a failure window")?);
            let failures = u32::try_from(failures).unwrap_or(0);
            if key == keys[0] {
                record.account_failures = failures;
            } else {
                record.address_failures = failures;
            }
            record.retry_at = Some(
                record
                    .retry_at
                    .map_or(ends, |at: jiff::Timestamp| at.max(ends)),
            );
        }
        Ok(record)
    }

    async fn sign_in_failed(
        &self,
        tenant: &Tenant,
        email: &Email,
        address: &str,
        window: Duration,
    ) -> Result<(), StaffError> {
        let (account, from) = (account_key(email), address_key(address));
        TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(staff::FAIL, &[&account, &seconds(window), &from])
            .await
            .context("counting a failed sign-in")?;
        Ok(())
    }

    async fn start_session(
        &self,
        tenant: &Tenant,
        id: StaffId,
        email: &Email,
        session: Grant,
    ) -> Result<(), StaffError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        start_session(&mut tx, id, &session).await?;
        tx.query_and_commit(staff::FORGET_FAILURES, &[&account_key(email)])
            .await
            .context("forgetting failed sign-ins")?;
        Ok(())
    }

    async fn end_sessions(&self, tenant: &Tenant, all: bool) -> Result<(), StaffError> {
        let Some(digest) = session_of(tenant) else {
            return Ok(());
        };
        let digest: &[u8] = digest.as_bytes();
        let sql = if all {
            staff::END_ALL_SESSIONS_OF_SESSION
        } else {
            staff::END_SESSION
        };
        TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(sql, &[&digest])
            .await
            .context("ending sessions")?;
        Ok(())
    }

    async fn change_password(&self, tenant: &Tenant, hash: PasswordHash) -> Result<(), StaffError> {
        let Some(digest) = session_of(tenant) else {
            return Err(StaffError::Unknown(anyhow::anyhow!(
                "a password is changed by a signed-in member"
            )));
        };
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let bytes: &[u8] = digest.as_bytes();
        let rows = tx
            .query(staff::BY_SESSION, &[&bytes])
            .await
            .context("reading the session's member")?;
        let (user, _) = from_row(rows.first().context("the session's member is gone")?)?;
        tx.query_all(&[
            (staff::SET_PASSWORD, &[&user.id.as_uuid(), &hash.as_str()]),
            (staff::END_OTHER_SESSIONS, &[&user.id.as_uuid(), &bytes]),
            (staff::END_SETUPS_OF, &[&user.id.as_uuid()]),
        ])
        .await
        .context("changing a password")?;
        tx.audit_on_commit(AuditAction::StaffPasswordChange, Some(user.id.to_string()));
        tx.query_and_commit(NOTHING, &[]).await?;
        Ok(())
    }

    async fn record(
        &self,
        tenant: &Tenant,
        action: AuditAction,
        target: Option<String>,
    ) -> Result<(), StaffError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        tx.audit_on_commit(action, target);
        tx.query_and_commit(NOTHING, &[]).await?;
        Ok(())
    }

    async fn audit(
        &self,
        tenant: &Tenant,
        limit: usize,
        before: Option<AuditCursor>,
    ) -> Result<AuditPage, StaffError> {
        let at = before.map(|c| system_time(c.at));
        let id = before.map(|c| c.id);
        // One more than asked: whether a next page exists.
        let fetch = i64::try_from(limit + 1).unwrap_or(i64::MAX);
        let rows = TenantTx::begin(&self.pool, tenant)
            .await?
            .query_and_commit(staff::AUDIT_PAGE, &[&at, &id, &fetch])
            .await
            .context("reading the audit trail")?;
        let mut items = rows
            .iter()
            .map(staff::audit_from_row)
            .collect::<anyhow::Result<Vec<_>>>()?;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|e| AuditCursor { at: e.at, id: e.id })
        } else {
            None
        };
        Ok(AuditPage { items, next })
    }
}
