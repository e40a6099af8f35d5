//! The HTTP API over the in-memory fakes: status codes, bodies, auth and problems, without a
//! database. (The same API over PostgreSQL and nginx is exercised end to end in `apps/chameleon`.)

mod errors;
mod helpers;
mod manager;
mod openapi;
mod options;
mod pickup;
mod problem_codes;
mod rules;
mod store;
mod system;
