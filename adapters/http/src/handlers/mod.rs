//! The handlers, one module per API area. Each has `#[utoipa::path]` with every status it can
//! return and an operation id `<verb>_<resource>`.

pub mod health;
pub mod manager;
pub mod store;
pub mod system;
