//! Logging: `RUST_LOG` filters (default `info`), `LOG_FORMAT` picks text or JSON lines.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The driver's logs that carry what the service sends PostgreSQL: a statement's parameters
/// (`query`: an order's tracking token, a customer's name), a batch's text (`simple_query`:
/// the install's `ALTER ROLE ... PASSWORD`) and a prepared statement's text (`prepare`). At
/// `debug` they would put secrets in the log, so they are capped at `info` whatever `RUST_LOG`
/// says (they log nothing at `info`; the driver's other modules still follow `RUST_LOG`).
const NEVER_BELOW_INFO: [&str; 3] = [
    "tokio_postgres::query=info",
    "tokio_postgres::simple_query=info",
    "tokio_postgres::prepare=info",
];

/// The filter: `RUST_LOG` (default `info`) with the driver's secret-bearing logs capped.
fn filter(rust_log: Option<&str>) -> EnvFilter {
    let mut filter = rust_log
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    for directive in NEVER_BELOW_INFO {
        filter = filter.add_directive(directive.parse().expect("a well-formed directive"));
    }
    filter
}

pub fn init(format: LogFormat) {
    let filter = filter(std::env::var(EnvFilter::DEFAULT_ENV).ok().as_deref());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    /// Whether what `emit` logs gets through the filter made from `rust_log`.
    fn logged(rust_log: &str, emit: impl FnOnce()) -> bool {
        let seen = Arc::new(AtomicBool::new(false));
        let subscriber = tracing_subscriber::registry()
            .with(filter(Some(rust_log)))
            .with(Seen(seen.clone()));
        tracing::subscriber::with_default(subscriber, emit);
        seen.load(Ordering::SeqCst)
    }

    struct Seen(Arc<AtomicBool>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Seen {
        fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    // The driver logs through `log` with its module as the target; the bridge keeps it, so an
    // event of that target here is what the filter sees of the driver's.
    fn parameters() {
        tracing::debug!(target: "tokio_postgres::query", "executing statement s1 with parameters: [\"token\"]");
    }
    fn batch() {
        tracing::debug!(target: "tokio_postgres::simple_query", "executing statement batch: ALTER ROLE r PASSWORD 'p'");
    }
    fn prepared() {
        tracing::debug!(target: "tokio_postgres::prepare", "preparing query s1: SELECT 1");
    }

    #[test]
    fn statements_and_their_parameters_are_never_logged_whatever_rust_log_says() {
        for rust_log in [
            "debug",
            "trace",
            "tokio_postgres=trace",
            "info,tokio_postgres::query=debug,tokio_postgres::simple_query=trace",
        ] {
            assert!(
                !logged(rust_log, parameters),
                "{rust_log}: parameters logged"
            );
            assert!(!logged(rust_log, batch), "{rust_log}: a batch logged");
            assert!(
                !logged(rust_log, prepared),
                "{rust_log}: a statement logged"
            );
        }
    }

    #[test]
    fn everything_else_follows_rust_log() {
        // The positive control: the same filter lets debug through where it was asked for.
        assert!(logged(
            "debug",
            || tracing::debug!(target: "chameleon_http", "x")
        ));
        assert!(logged("tokio_postgres=debug", || {
            tracing::debug!(target: "tokio_postgres::connection", "x")
        }));
        assert!(logged(
            "info",
            || tracing::info!(target: "tokio_postgres::connection", "NOTICE: x")
        ));
        assert!(!logged(
            "info",
            || tracing::debug!(target: "chameleon_http", "x")
        ));
        // A RUST_LOG that does not parse is the default, info.
        assert!(logged(
            "not a filter==",
            || tracing::info!(target: "chameleon", "x")
        ));
    }
}
