//! Entry point of the server runtime (see `runtime` for its threads and data path).

use std::process::ExitCode;

use kraft_config::cli::ServerArgs;
use kraft_config::ServerConfig;

/// Runs the server until it stops; the exit code reports how it ended (0 after SIGINT/SIGTERM
/// with a graceful resignation and a final flush, 1 on a fatal error).
pub fn run(config: ServerConfig, args: ServerArgs) -> ExitCode {
    crate::runtime::run(config, args)
}

/// The bootstrap checkpoint's KRaftVersion and Voters records at offset -1 (see
/// `runtime::bootstrap`), for the runtime's start and for tools and tests that inspect a
/// formatted directory.
pub use crate::runtime::bootstrap::{read_bootstrap_control, BOOTSTRAP_CONTROL_OFFSET};
