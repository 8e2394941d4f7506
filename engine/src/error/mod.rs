//! Error types, one small file each.

mod append;
mod config;
mod restore;
mod voter_set;

pub use append::AppendError;
pub use config::ConfigError;
pub use restore::RestoreError;
pub use voter_set::VoterSetError;
