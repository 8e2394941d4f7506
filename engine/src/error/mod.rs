//! Error types, one small file each.

mod append;
mod config;
mod restore;

pub use append::AppendError;
pub use config::ConfigError;
pub use restore::RestoreError;
