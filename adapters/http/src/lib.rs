//! Chameleon's HTTP adapter: actix-web handlers over the core's ports.
//!
//! Three audiences, three scopes, each behind its own piece of tenant middleware:
//! `/api/v1/sys` (admin token), `/api/v1/manager` (`X-Tenant-ID` and that tenant's manager key),
//! `/api/v1/store` (the tenant registered for `Host`). Every error is `application/problem+json`.
//! The OpenAPI document is at `/api-docs/openapi.json`, Swagger UI at `/docs/`.
//!
//! Handlers are generic over the core's [`Ports`](chameleon_core::ports::Ports), so tests run
//! them over the in-memory fakes and the binary over PostgreSQL.
//!
//! # Layout
//! - [`server`]: the application ([`server::app`]) and the bound server ([`Application`]).
//! - [`handlers`]: one module per API area.
//! - [`tenancy`]: the tenant middleware and [`tenancy::CurrentTenant`].
//! - [`client_budget`]: per-client budgets (unknown hosts, order tracking); who the client is.
//! - [`networks`]: address sets (`SYS_ALLOW`, `TRUSTED_PROXIES`).
//! - [`paths`]: paths two readers could route apart are refused (400 `bad_path`).
//! - [`telemetry`]: one span and one log line per request.
//! - [`body`]: [`body::JsonObject`], request bodies that must be JSON objects.
//! - [`convert`]: wire bodies to domain values and back.
//! - [`export`]: the streamed tenant export.
//! - [`error`]: [`error::ApiError`], the one error type, rendered as a problem.
//! - [`problem_code`]: [`problem_code::ProblemCode`], every problem's code and status.
//! - [`port_errors`]: every port error's conversion into an `ApiError`.
//! - [`problems`]: the error responses as OpenAPI components, and their shared groups.
//! - [`openapi`]: the OpenAPI document.
//! - [`state`]: what handlers share.

pub mod body;
pub mod client_budget;
pub mod convert;
pub mod error;
pub mod export;
pub mod handlers;
pub mod networks;
pub mod openapi;
pub mod passwords;
pub mod paths;
pub mod port_errors;
pub mod problem_code;
pub mod problems;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod tenancy;

pub use networks::Networks;
pub use server::{Application, DEFAULT_BODY_LIMIT, ServerSettings, app};
pub use state::{Access, AcmeChallenges, AppState, ReadinessCheck, WorkerWarmUp, always_ready};
