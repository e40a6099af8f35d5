//! Shutdown requests: SIGINT, SIGTERM or SIGHUP, from a terminal, a process manager or a `make`
//! that is itself being stopped.
//!
//! The handlers are installed before anything is started and stay installed until the process
//! exits: a second signal (GNU make forwards SIGTERM to its recipe after the whole process group
//! already got one) never interrupts a shutdown under way.

use std::sync::Arc;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// Tells whether a shutdown was asked for, and waits for one.
#[derive(Debug, Clone)]
pub struct Shutdown {
    ask: Arc<watch::Sender<Option<&'static str>>>,
    requested: watch::Receiver<Option<&'static str>>,
}

impl Shutdown {
    /// Starts listening for the signals. Call first thing.
    pub fn install() -> anyhow::Result<Shutdown> {
        let shutdown = Shutdown::manual();
        let mut signals = Vec::new();
        for (kind, name) in [
            (SignalKind::interrupt(), "SIGINT"),
            (SignalKind::terminate(), "SIGTERM"),
            (SignalKind::hangup(), "SIGHUP"),
        ] {
            signals.push((signal(kind)?, name));
        }
        for (mut stream, name) in signals {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    shutdown.request(name);
                }
            });
        }
        Ok(shutdown)
    }

    /// A `Shutdown` requested only through [`Shutdown::request`] (for callers that handle
    /// signals themselves, and tests).
    pub fn manual() -> Shutdown {
        let (ask, requested) = watch::channel(None);
        Shutdown {
            ask: Arc::new(ask),
            requested,
        }
    }

    /// Asks for a shutdown; the first reason given is the one kept.
    pub fn request(&self, reason: &'static str) {
        self.ask.send_if_modified(|current| {
            let first = current.is_none();
            if first {
                *current = Some(reason);
            }
            first
        });
    }

    /// The signal that asked for the shutdown, if one did.
    pub fn requested(&self) -> Option<&'static str> {
        *self.requested.borrow()
    }

    /// Waits until a shutdown is asked for; returns the signal's name.
    pub async fn wait(&mut self) -> &'static str {
        loop {
            if let Some(name) = *self.requested.borrow_and_update() {
                return name;
            }
            // `self` holds the sender, so the channel never closes.
            let _ = self.requested.changed().await;
        }
    }
}
