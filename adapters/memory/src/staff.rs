//! The staff port in memory: each tenant's members, sessions, setup links, failed sign-ins and
//! audit trail beside its menu and orders, under the same lock. The session check that
//! PostgreSQL's `session_gate` makes at the start of a transaction is [`StaffData::gate`], made by
//! [`MemoryStore::with_tenant`] before every unit of work.

use std::collections::HashMap;
use std::fmt::Display;
use std::time::Duration;

use anyhow::anyhow;
use chameleon_core::ports::{AccessRefused, Refusal, StaffError, StaffRepository};
use chameleon_core::staff::{
    Actor, AuditAction, AuditCursor, AuditEntry, AuditPage, Credential, Email, Grant, NewStaffUser,
    PasswordHash, SignInRecord, StaffId, StaffPatch, StaffUser, TokenDigest, is_enabled_owner,
};
use chameleon_core::tenant::Tenant;
use jiff::Timestamp;
use uuid::Uuid;

use crate::MemoryStore;

#[derive(Debug, Clone)]
struct Session {
    user: StaffId,
    last_seen: Timestamp,
    idle: Duration,
    expires_at: Timestamp,
}

#[derive(Debug, Default)]
pub(crate) struct StaffData {
    users: HashMap<StaffId, (StaffUser, Option<PasswordHash>)>,
    sessions: HashMap<TokenDigest, Session>,
    setups: HashMap<TokenDigest, (StaffId, Timestamp)>,
    failures: HashMap<String, (u32, Timestamp)>,
    /// Oldest first.
    audit: Vec<AuditEntry>,
}

fn refused(kind: Refusal) -> anyhow::Error {
    anyhow::Error::new(AccessRefused {
        kind,
        source: anyhow!("{kind}").into(),
    })
}

fn after(at: Timestamp, d: Duration) -> Timestamp {
    at.checked_add(jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX))
        .unwrap_or(Timestamp::MAX)
}

impl StaffData {
    /// Checks the session `tenant` acts with, if any: valid, its member enabled and of an
    /// allowed role.
    pub(crate) fn gate(&mut self, tenant: &Tenant) -> anyhow::Result<()> {
        let Some(acting) = &tenant.acting else {
            return Ok(());
        };
        let Credential::Session(digest) = &acting.credential else {
            return Ok(());
        };
        let now = Timestamp::now();
        let role = self
            .sessions
            .get(digest)
            .filter(|s| s.expires_at > now && after(s.last_seen, s.idle) > now)
            .and_then(|s| self.users.get(&s.user))
            .filter(|(user, _)| !user.disabled)
            .map(|(user, _)| user.role)
            .ok_or_else(|| refused(Refusal::NoSession))?;
        if !acting.allowed.contains(&role) {
            return Err(refused(Refusal::Forbidden));
        }
        if let Some(session) = self.sessions.get_mut(digest) {
            session.last_seen = now;
        }
        Ok(())
    }

    /// The staff by email and the audit trail oldest first, for the export.
    pub(crate) fn exported(&self) -> (Vec<StaffUser>, Vec<AuditEntry>) {
        let mut users: Vec<StaffUser> = self.users.values().map(|(u, _)| u.clone()).collect();
        users.sort_by(|a, b| a.email.as_str().cmp(b.email.as_str()));
        let mut audit = self.audit.clone();
        audit.sort_by_key(|e| (e.at, e.id));
        (users, audit)
    }

    fn actor(&self, tenant: &Tenant) -> Option<Actor> {
        Some(match &tenant.acting.as_ref()?.credential {
            Credential::ApiKey => Actor::ApiKey,
            Credential::Platform => Actor::Platform,
            Credential::Session(digest) => Actor::Staff(self.sessions.get(digest)?.user),
        })
    }

    /// Appends an audit line when `tenant` acts for someone.
    pub(crate) fn audit(&mut self, tenant: &Tenant, action: AuditAction, target: impl Display) {
        let Some(actor) = self.actor(tenant) else {
            return;
        };
        self.audit.push(AuditEntry {
            id: Uuid::now_v7(),
            // To the microsecond, as PostgreSQL keeps it.
            at: Timestamp::from_microsecond(Timestamp::now().as_microsecond())
                .unwrap_or(Timestamp::UNIX_EPOCH),
            actor: actor.to_string(),
            action: action.as_str().to_owned(),
            target: Some(target.to_string()),
            request_id: tenant.acting.as_ref().and_then(|a| a.request_id.clone()),
        });
    }

    fn session_user(&self, tenant: &Tenant) -> Option<StaffId> {
        match &tenant.acting.as_ref()?.credential {
            Credential::Session(digest) => self.sessions.get(digest).map(|s| s.user),
            _ => None,
        }
    }

    fn end_sessions_of(&mut self, id: StaffId) {
        self.sessions.retain(|_, s| s.user != id);
    }

    fn end_setups_of(&mut self, id: StaffId) {
        self.setups.retain(|_, (user, _)| *user != id);
    }

    fn owner_left(&self, changed: StaffId, after: Option<&StaffUser>) -> bool {
        self.users
            .values()
            .any(|(user, _)| user.id != changed && is_enabled_owner(user))
            || after.is_some_and(is_enabled_owner)
    }

    fn start(&mut self, id: StaffId, session: &Grant) {
        self.sessions.insert(
            session.digest,
            Session {
                user: id,
                last_seen: Timestamp::now(),
                idle: session.idle,
                expires_at: session.expires_at,
            },
        );
    }

    fn failures(&self, key: &str, window: Duration) -> Option<(u32, Timestamp)> {
        let (count, since) = self.failures.get(key)?;
        let ends = after(*since, window);
        (ends > Timestamp::now()).then_some((*count, ends))
    }
}

impl MemoryStore {
    fn with_staff<T>(
        &self,
        tenant: &Tenant,
        f: impl FnOnce(&mut StaffData) -> Result<T, StaffError>,
    ) -> Result<T, StaffError> {
        self.with_tenant(tenant, |data| f(&mut data.staff))?
    }
}

impl StaffRepository for MemoryStore {
    async fn me(
        &self,
        tenant: &Tenant,
    ) -> Result<Option<(StaffUser, Option<PasswordHash>)>, StaffError> {
        self.with_staff(tenant, |staff| {
            Ok(staff
                .session_user(tenant)
                .and_then(|id| staff.users.get(&id).cloned()))
        })
    }

    async fn list(&self, tenant: &Tenant) -> Result<Vec<StaffUser>, StaffError> {
        self.with_staff(tenant, |staff| {
            let mut users: Vec<StaffUser> = staff.users.values().map(|(u, _)| u.clone()).collect();
            users.sort_by(|a, b| a.email.as_str().cmp(b.email.as_str()));
            Ok(users)
        })
    }

    async fn invite(
        &self,
        tenant: &Tenant,
        new: NewStaffUser,
        setup: Grant,
    ) -> Result<StaffUser, StaffError> {
        self.with_staff(tenant, |staff| {
            if staff.users.values().any(|(u, _)| u.email == new.email) {
                return Err(StaffError::EmailTaken(new.email.as_str().to_owned()));
            }
            let now = Timestamp::now();
            let user = StaffUser {
                id: StaffId::from_uuid(Uuid::now_v7()),
                email: new.email,
                name: new.name,
                role: new.role,
                disabled: false,
                created_at: now,
                updated_at: now,
            };
            staff.users.insert(user.id, (user.clone(), None));
            staff
                .setups
                .insert(setup.digest, (user.id, setup.expires_at));
            staff.audit(tenant, AuditAction::StaffInvite, user.id);
            Ok(user)
        })
    }

    async fn update(
        &self,
        tenant: &Tenant,
        id: StaffId,
        patch: StaffPatch,
    ) -> Result<StaffUser, StaffError> {
        self.with_staff(tenant, |staff| {
            let (before, hash) = staff
                .users
                .get(&id)
                .cloned()
                .ok_or(StaffError::NotFound(id))?;
            let mut after = before.clone();
            patch.apply(&mut after);
            after.updated_at = Timestamp::now();
            if is_enabled_owner(&before) && !staff.owner_left(id, Some(&after)) {
                return Err(StaffError::LastOwner);
            }
            if patch.ends_sessions(&before, &after) {
                staff.end_sessions_of(id);
            }
            staff.users.insert(id, (after.clone(), hash));
            staff.audit(tenant, AuditAction::StaffUpdate, id);
            Ok(after)
        })
    }

    async fn remove(&self, tenant: &Tenant, id: StaffId) -> Result<(), StaffError> {
        self.with_staff(tenant, |staff| {
            let (before, _) = staff
                .users
                .get(&id)
                .cloned()
                .ok_or(StaffError::NotFound(id))?;
            if is_enabled_owner(&before) && !staff.owner_left(id, None) {
                return Err(StaffError::LastOwner);
            }
            staff.audit(tenant, AuditAction::StaffRemove, id);
            staff.end_sessions_of(id);
            staff.end_setups_of(id);
            staff.users.remove(&id);
            Ok(())
        })
    }

    async fn issue_setup(
        &self,
        tenant: &Tenant,
        id: StaffId,
        setup: Grant,
    ) -> Result<StaffUser, StaffError> {
        self.with_staff(tenant, |staff| {
            let (user, _) = staff
                .users
                .get(&id)
                .cloned()
                .ok_or(StaffError::NotFound(id))?;
            staff.end_sessions_of(id);
            staff.end_setups_of(id);
            staff.setups.insert(setup.digest, (id, setup.expires_at));
            staff.audit(tenant, AuditAction::StaffSetupLink, id);
            Ok(user)
        })
    }

    async fn first_owner(&self, tenant: &Tenant) -> Result<Option<StaffUser>, StaffError> {
        self.with_staff(tenant, |staff| {
            Ok(staff
                .users
                .values()
                .map(|(u, _)| u)
                .filter(|u| is_enabled_owner(u))
                .min_by_key(|u| (u.created_at, u.id))
                .cloned())
        })
    }

    async fn redeem_setup(
        &self,
        tenant: &Tenant,
        token: TokenDigest,
        hash: PasswordHash,
        session: Grant,
    ) -> Result<StaffUser, StaffError> {
        self.with_staff(tenant, |staff| {
            let (id, expires_at) = staff
                .setups
                .remove(&token)
                .ok_or(StaffError::InvalidSetupToken)?;
            let user = staff
                .users
                .get(&id)
                .map(|(u, _)| u.clone())
                .filter(|u| !u.disabled && expires_at > Timestamp::now())
                .ok_or(StaffError::InvalidSetupToken)?;
            staff.users.insert(id, (user.clone(), Some(hash)));
            staff.end_sessions_of(id);
            staff.end_setups_of(id);
            staff
                .failures
                .remove(&format!("account:{}", user.email.as_str()));
            staff.start(id, &session);
            Ok(user)
        })
    }

    async fn sign_in_record(
        &self,
        tenant: &Tenant,
        email: &Email,
        address: &str,
        window: Duration,
    ) -> Result<SignInRecord, StaffError> {
        self.with_staff(tenant, |staff| {
            let user = staff
                .users
                .values()
                .find(|(u, _)| &u.email == email)
                .cloned();
            let account = staff.failures(&format!("account:{}", email.as_str()), window);
            let from = staff.failures(&format!("address:{address}"), window);
            Ok(SignInRecord {
                user,
                account_failures: account.map_or(0, |(n, _)| n),
                address_failures: from.map_or(0, |(n, _)| n),
                retry_at: [account, from]
                    .into_iter()
                    .flatten()
                    .map(|(_, at)| at)
                    .max(),
            })
        })
    }

    async fn sign_in_failed(
        &self,
        tenant: &Tenant,
        email: &Email,
        address: &str,
        window: Duration,
    ) -> Result<(), StaffError> {
        self.with_staff(tenant, |staff| {
            for key in [
                format!("account:{}", email.as_str()),
                format!("address:{address}"),
            ] {
                let counted = staff.failures(&key, window);
                let entry = match counted {
                    Some((n, _)) => (n + 1, staff.failures[&key].1),
                    None => (1, Timestamp::now()),
                };
                staff.failures.insert(key, entry);
            }
            Ok(())
        })
    }

    async fn start_session(
        &self,
        tenant: &Tenant,
        id: StaffId,
        email: &Email,
        session: Grant,
    ) -> Result<(), StaffError> {
        self.with_staff(tenant, |staff| {
            staff.start(id, &session);
            staff
                .failures
                .remove(&format!("account:{}", email.as_str()));
            Ok(())
        })
    }

    async fn end_sessions(&self, tenant: &Tenant, all: bool) -> Result<(), StaffError> {
        self.with_staff(tenant, |staff| {
            let Some(Credential::Session(digest)) = tenant.acting.as_ref().map(|a| &a.credential)
            else {
                return Ok(());
            };
            match (all, staff.sessions.get(digest).map(|s| s.user)) {
                (true, Some(user)) => staff.end_sessions_of(user),
                _ => {
                    staff.sessions.remove(digest);
                }
            }
            Ok(())
        })
    }

    async fn change_password(&self, tenant: &Tenant, hash: PasswordHash) -> Result<(), StaffError> {
        self.with_staff(tenant, |staff| {
            let Some(Credential::Session(digest)) = tenant.acting.as_ref().map(|a| &a.credential)
            else {
                return Err(anyhow!("a password is changed by a signed-in member").into());
            };
            let digest = *digest;
            let id = staff
                .session_user(tenant)
                .ok_or_else(|| refused(Refusal::NoSession))?;
            if let Some((_, stored)) = staff.users.get_mut(&id) {
                *stored = Some(hash);
            }
            staff.sessions.retain(|d, s| s.user != id || *d == digest);
            staff.end_setups_of(id);
            staff.audit(tenant, AuditAction::StaffPasswordChange, id);
            Ok(())
        })
    }

    async fn record(
        &self,
        tenant: &Tenant,
        action: AuditAction,
        target: Option<String>,
    ) -> Result<(), StaffError> {
        self.with_staff(tenant, |staff| {
            staff.audit(tenant, action, target.unwrap_or_default());
            Ok(())
        })
    }

    async fn audit(
        &self,
        tenant: &Tenant,
        limit: usize,
        before: Option<AuditCursor>,
    ) -> Result<AuditPage, StaffError> {
        self.with_staff(tenant, |staff| {
            let mut entries: Vec<&AuditEntry> = staff
                .audit
                .iter()
                .filter(|e| before.is_none_or(|c| (e.at, e.id) < (c.at, c.id)))
                .collect();
            entries.sort_by_key(|e| std::cmp::Reverse((e.at, e.id)));
            let more = entries.len() > limit;
            let items: Vec<AuditEntry> = entries.into_iter().take(limit).cloned().collect();
            let next = more
                .then(|| items.last().map(|e| AuditCursor { at: e.at, id: e.id }))
                .flatten();
            Ok(AuditPage { items, next })
        })
    }
}
