//! [`Staffing`]: a restaurant's staff, their sign-in, and the audit trail.
//!
//! The rules are core's: the permission table ([`Role::may`](crate::staff::Role::may)), the
//! password policy ([`Password`](crate::staff::Password)), who a change ends the sessions of
//! ([`StaffPatch::ends_sessions`](crate::staff::StaffPatch::ends_sessions)). Hashing passwords
//! and drawing tokens are the driver's: slow or random, neither belongs here.

use crate::ports::StaffRepository;

/// The staff use cases over a [`StaffRepository`].
#[derive(Debug)]
pub struct Staffing<S> {
    staff: S,
}

impl<S: StaffRepository> Staffing<S> {
    pub fn new(staff: S) -> Self {
        Self { staff }
    }

    /// The repository: each staff use case is one of its methods, run with a tenant handle
    /// acting for the caller (so the repository checks the caller's right in its transaction).
    pub fn repository(&self) -> &S {
        &self.staff
    }
}
