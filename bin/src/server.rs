//! Entry point of the server runtime (see `runtime` for its threads and data path).

use std::process::ExitCode;

use kraft_config::cli::ServerArgs;
use kraft_config::ServerConfig;

/// Runs the server until it stops; the exit code reports how it ended (0 after SIGINT/SIGTERM
/// with a graceful resignation and a final flush, 1 on a fatal error).
pub fn run(config: ServerConfig, args: ServerArgs) -> ExitCode {
    crate::runtime::run(config, args)
}
