//! Staff passwords: argon2id, hashed and checked on a small pool of threads of its own.
//!
//! Parameters: argon2id, m = 19 MiB (19,456 KiB), t = 2, p = 1: OWASP's first recommended
//! configuration (Password Storage Cheat Sheet). A hash takes tens of milliseconds of one core
//! on purpose, so it never runs on an HTTP worker: jobs go to [`Hasher`]'s threads (one by
//! default) through a bounded queue; a full queue answers 503 at once instead of piling up
//! requests. The threads run at the lowest scheduling priority (nice 19, set by each thread for
//! itself): a flood of sign-ins gets the CPU order placement leaves, not the CPU it needs
//! (`make bench`: orders alone and beside a flood of wrong passwords).
//!
//! An attempt for an email nobody has is checked against a dummy hash of the same parameters,
//! so it takes as long as a wrong password for a real account.

use std::sync::Arc;
use std::sync::mpsc;

use argon2::password_hash::{
    PasswordHash as Phc, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use chameleon_core::staff::{Password, PasswordHash};
use tokio::sync::oneshot;

/// Jobs waiting at most; more are refused (503) rather than queued.
pub const QUEUE: usize = 64;

enum Job {
    Hash(Password, oneshot::Sender<anyhow::Result<PasswordHash>>),
    Verify(Password, Option<PasswordHash>, oneshot::Sender<bool>),
}

/// The hashing pool. Clones share it.
#[derive(Clone)]
pub struct Hasher {
    jobs: mpsc::SyncSender<Job>,
    dummy: Arc<String>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").finish_non_exhaustive()
    }
}

/// The queue is full: try again shortly.
#[derive(Debug, thiserror::Error)]
#[error("too many password checks are waiting")]
pub struct Busy;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("OWASP's argon2id parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn salt() -> anyhow::Result<SaltString> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("drawing a salt: {e}"))?;
    SaltString::encode_b64(&bytes).map_err(|e| anyhow::anyhow!("encoding a salt: {e}"))
}

fn hash(password: &Password) -> anyhow::Result<PasswordHash> {
    let salt = salt()?;
    let phc = argon2()
        .hash_password(password.expose().as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?
        .to_string();
    Ok(PasswordHash::new(phc))
}

fn verify(password: &Password, stored: &str) -> bool {
    Phc::new(stored).is_ok_and(|phc| {
        argon2()
            .verify_password(password.expose().as_bytes(), &phc)
            .is_ok()
    })
}

impl Hasher {
    /// `threads` hashing threads (at least one).
    pub fn new(threads: usize) -> anyhow::Result<Self> {
        let (jobs, queue) = mpsc::sync_channel::<Job>(QUEUE);
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-{n}"))
                .spawn(move || {
                    // This thread only: on Linux the nice value is a thread's own. A refusal
                    // (a sandbox) leaves it at the default priority, which still works.
                    if let Err(err) =
                        rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19)
                    {
                        tracing::warn!(error = %err, "the password thread keeps its priority");
                    }
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(Job::Hash(password, reply)) => {
                                let _ = reply.send(hash(&password));
                            }
                            Ok(Job::Verify(password, stored, reply)) => {
                                let _ = reply.send(match &stored {
                                    Some(stored) => verify(&password, stored.as_str()),
                                    None => false,
                                });
                            }
                            Err(_) => return,
                        }
                    }
                })?;
        }
        let dummy = hash(&Password::attempt("a password nobody has"))?;
        Ok(Self {
            jobs,
            dummy: Arc::new(dummy.as_str().to_owned()),
        })
    }

    /// The argon2id hash of `password`.
    pub async fn hash(&self, password: Password) -> anyhow::Result<PasswordHash> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .try_send(Job::Hash(password, reply))
            .map_err(|_| anyhow::Error::new(Busy))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the hashing pool stopped"))?
    }

    /// Whether `password` matches `stored`. With no stored hash (no such account, or not set
    /// up yet) the dummy hash is checked instead, which takes the same time and fails.
    pub async fn verify(
        &self,
        password: Password,
        stored: Option<PasswordHash>,
    ) -> anyhow::Result<bool> {
        let (real, stored) = match stored {
            Some(stored) => (true, stored),
            None => (false, PasswordHash::new(self.dummy.as_str().to_owned())),
        };
        let (reply, answer) = oneshot::channel();
        self.jobs
            .try_send(Job::Verify(password, Some(stored), reply))
            .map_err(|_| anyhow::Error::new(Busy))?;
        let matched = answer
            .await
            .map_err(|_| anyhow::anyhow!("the hashing pool stopped"))?;
        Ok(real && matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hasher = Hasher::new(1).unwrap();
        let password = Password::parse("correct horse battery").unwrap();
        let hash = hasher.hash(password.clone()).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify(password, Some(hash.clone())).await.unwrap());
        assert!(
            !hasher
                .verify(Password::attempt("wrong horse battery"), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(Password::attempt("a password nobody has"), None)
                .await
                .unwrap()
        );
    }
}
