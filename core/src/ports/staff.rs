//! A tenant's staff: accounts, sessions, setup links, failed sign-ins and the audit trail, all
//! kept with the tenant's own data.
//!
//! Methods taking a tenant handle that acts for someone ([`Tenant::acting`]) run under that
//! credential: the adapter checks it in the same transaction, and audits each change there.
//! The sign-in methods take a handle acting for nobody: nobody is signed in yet.

use std::future::Future;
use std::time::Duration;

use thiserror::Error;

use crate::staff::{
    AuditAction, AuditCursor, AuditPage, Email, Grant, NewStaffUser, PasswordHash, SignInRecord,
    StaffId, StaffPatch, StaffUser, TokenDigest,
};
use crate::tenant::Tenant;

/// A tenant's staff.
pub trait StaffRepository: Send + Sync + 'static {
    /// The staff member whose session `tenant` acts with, with their password hash; `Ok(None)`
    /// for any other credential.
    fn me(
        &self,
        tenant: &Tenant,
    ) -> impl Future<Output = Result<Option<(StaffUser, Option<PasswordHash>)>, StaffError>> + Send;

    /// Every staff member, by email.
    fn list(
        &self,
        tenant: &Tenant,
    ) -> impl Future<Output = Result<Vec<StaffUser>, StaffError>> + Send;

    /// Stores a new member (no password yet) and their setup link; MUST return
    /// `Err(EmailTaken)` (storing nothing) when the tenant has a member with that email.
    fn invite(
        &self,
        tenant: &Tenant,
        new: NewStaffUser,
        setup: Grant,
    ) -> impl Future<Output = Result<StaffUser, StaffError>> + Send;

    /// Applies `patch`; MUST return `Err(NotFound)`, or `Err(LastOwner)` (changing nothing) when
    /// no enabled owner would be left; ends the member's sessions when
    /// [`StaffPatch::ends_sessions`] says so.
    fn update(
        &self,
        tenant: &Tenant,
        id: StaffId,
        patch: StaffPatch,
    ) -> impl Future<Output = Result<StaffUser, StaffError>> + Send;

    /// Removes a member with their sessions and setup links; `Err(NotFound)`, `Err(LastOwner)`.
    fn remove(
        &self,
        tenant: &Tenant,
        id: StaffId,
    ) -> impl Future<Output = Result<(), StaffError>> + Send;

    /// Replaces the member's setup links with `setup` and ends their sessions (a forgotten
    /// password); `Err(NotFound)`.
    fn issue_setup(
        &self,
        tenant: &Tenant,
        id: StaffId,
        setup: Grant,
    ) -> impl Future<Output = Result<StaffUser, StaffError>> + Send;

    /// The enabled owner who has been one longest, if any.
    fn first_owner(
        &self,
        tenant: &Tenant,
    ) -> impl Future<Output = Result<Option<StaffUser>, StaffError>> + Send;

    /// Uses the setup link `token` once: sets the member's password, ends their other
    /// sessions, forgets the account's failed sign-ins and starts `session`. `Err(InvalidSetupToken)` when it is unknown, used or
    /// expired (or the member is disabled).
    fn redeem_setup(
        &self,
        tenant: &Tenant,
        token: TokenDigest,
        hash: PasswordHash,
        session: Grant,
    ) -> impl Future<Output = Result<StaffUser, StaffError>> + Send;

    /// The member signing in with `email`, and the failures counted for the account and for
    /// `address` within `window`.
    fn sign_in_record(
        &self,
        tenant: &Tenant,
        email: &Email,
        address: &str,
        window: Duration,
    ) -> impl Future<Output = Result<SignInRecord, StaffError>> + Send;

    /// Counts a failed sign-in for `email` (whether or not it is an account) and `address`.
    fn sign_in_failed(
        &self,
        tenant: &Tenant,
        email: &Email,
        address: &str,
        window: Duration,
    ) -> impl Future<Output = Result<(), StaffError>> + Send;

    /// Starts `session` for member `id` and forgets the account's failed sign-ins.
    fn start_session(
        &self,
        tenant: &Tenant,
        id: StaffId,
        email: &Email,
        session: Grant,
    ) -> impl Future<Output = Result<(), StaffError>> + Send;

    /// Ends the session `tenant` acts with, or (`all`) every session of its member.
    fn end_sessions(
        &self,
        tenant: &Tenant,
        all: bool,
    ) -> impl Future<Output = Result<(), StaffError>> + Send;

    /// Sets the password of the member whose session `tenant` acts with and ends their other
    /// sessions.
    fn change_password(
        &self,
        tenant: &Tenant,
        hash: PasswordHash,
    ) -> impl Future<Output = Result<(), StaffError>> + Send;

    /// Checks the credential `tenant` acts with (as every transaction does) and appends
    /// `action` on `target` to the audit trail: for a change made outside the tenant's schema
    /// (its settings, its API key), checked before the change and recorded after it.
    fn record(
        &self,
        tenant: &Tenant,
        action: AuditAction,
        target: Option<String>,
    ) -> impl Future<Output = Result<(), StaffError>> + Send;

    /// At most `limit` entries of the audit trail older than `before`, newest first.
    fn audit(
        &self,
        tenant: &Tenant,
        limit: usize,
        before: Option<AuditCursor>,
    ) -> impl Future<Output = Result<AuditPage, StaffError>> + Send;
}

#[derive(Debug, Error)]
pub enum StaffError {
    #[error("there is no staff member {0}")]
    NotFound(StaffId),
    #[error("a staff member already has the email {0}")]
    EmailTaken(String),
    #[error("the restaurant would be left without an enabled owner")]
    LastOwner,
    #[error("the setup link is used, expired or unknown")]
    InvalidSetupToken,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}
