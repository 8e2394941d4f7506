//! Helpers shared by the integration tests that need them.

pub mod oracle;
