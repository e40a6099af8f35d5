//! Chameleon's whole stack on one machine: a private PostgreSQL that only its owner can reach,
//! the service's roles, migrations, one or more backends, and nginx in front.
//!
//! This is the one implementation of that lifecycle. `make run` runs its binary
//! (`chameleon-stack run`), `make bench` starts a stack through it before measuring, the
//! end-to-end tests start backends and nginx through it, and the test support starts its private
//! cluster through it. The scripts under `deploy/scripts` only install what is missing.
//!
//! Stopping is what it is built around: every child runs in a process group of its own, the
//! signal handlers are installed before anything starts and stay for the whole run, and the
//! stop goes in reverse order (nginx, backends, PostgreSQL) from whatever point the start had
//! reached. See [`process`] for why.
//!
//! This crate is not an adapter and depends on none: it starts processes, and knows the
//! service's binary only by its command line.
//!
//! # Layout
//! - [`stack`]: [`Stack`], the whole thing in order.
//! - [`cluster`]: [`Cluster`], a private PostgreSQL cluster.
//! - [`citus`]: [`CitusCluster`], a coordinator and workers, for the Citus tests.
//! - [`backend`]: [`Backend`], one `chameleon serve`.
//! - [`edge`]: [`Edge`], nginx from the project's template.
//! - [`certs`]: the certificate directory and the local certificate authority.
//! - [`edge_limits`]: [`EdgeLimits`], the edge's rate, connection and time limits.
//! - [`process`]: children in their own process groups, stopped with a deadline.
//! - [`shutdown`]: [`Shutdown`], the signals that end a run.
//! - [`probe`]: waiting for an HTTP endpoint to answer.
//! - [`users`]: the unprivileged user servers run as when we are root.

pub mod backend;
pub mod certs;
pub mod citus;
pub mod cluster;
pub mod edge;
pub mod edge_limits;
pub mod probe;
pub mod process;
pub mod shutdown;
pub mod stack;
pub mod users;

pub use backend::{Backend, BackendSettings};
pub use citus::CitusCluster;
pub use cluster::{Cluster, ServerOptions, ServerTls};
pub use edge::{Edge, EdgeSettings, EdgeTls};
pub use edge_limits::EdgeLimits;
pub use shutdown::Shutdown;
pub use stack::{Database, Ended, Stack, StackSettings, SupervisePolicy};
