//! Who runs what. PostgreSQL refuses to run as root, and the backend should not either: when the
//! stack is started by root, the private cluster and the backends run as the unprivileged system
//! user `chameleon` (created by `deploy/scripts/setup.sh`).

use anyhow::{Context as _, anyhow};
use nix::unistd::{Gid, Uid, User};

/// The unprivileged account the stack's servers run as when the stack itself runs as root.
pub const SERVICE_USER: &str = "chameleon";

/// An operating-system account.
#[derive(Debug, Clone)]
pub struct OsUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl OsUser {
    pub fn by_name(name: &str) -> anyhow::Result<OsUser> {
        let user = User::from_name(name)
            .with_context(|| format!("looking up the user {name}"))?
            .ok_or_else(|| {
                anyhow!(
                    "there is no user {name} (deploy/scripts/setup.sh creates it when run as root)"
                )
            })?;
        Ok(OsUser {
            name: user.name,
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
        })
    }

    pub fn uid(&self) -> Uid {
        Uid::from_raw(self.uid)
    }

    pub fn gid(&self) -> Gid {
        Gid::from_raw(self.gid)
    }
}

pub fn is_root() -> bool {
    Uid::effective().is_root()
}

/// The user servers run as: [`SERVICE_USER`] when we are root, `None` (ourselves) otherwise.
pub fn server_user() -> anyhow::Result<Option<OsUser>> {
    if is_root() {
        OsUser::by_name(SERVICE_USER).map(Some)
    } else {
        Ok(None)
    }
}
