//! Placeholder: the runtime is not wired yet.

use std::process::ExitCode;

use kraft_config::cli::ServerArgs;
use kraft_config::ServerConfig;

/// Runs the server until it stops; the exit code reports how it ended.
pub fn run(config: ServerConfig, args: ServerArgs) -> ExitCode {
    tracing::error!(
        node_id = config.node_id,
        throughput_records_per_sec = args.throughput_records_per_sec,
        "runtime not wired yet"
    );
    ExitCode::FAILURE
}
