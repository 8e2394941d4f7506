//! Typed errors of the server runtime, one small file per error type. Their messages are what
//! `kraft-server` prints before it exits 1 (tests and users grep for them).

mod listener;
mod log_role;
mod runtime;

pub use listener::ListenerError;
pub use log_role::LogRoleError;
pub use runtime::RuntimeError;
