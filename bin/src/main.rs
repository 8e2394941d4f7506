//! `kraft-server`: one member of a KRaft quorum running the Raft performance
//! test, started by `bin/test-kraft-server-start.sh`.
//!
//! This file only turns the command line and the config file into typed
//! values (exit code 2 when either is bad) and sets up logging; the runtime
//! is `kraft_bin::server::run`.

use std::io::IsTerminal;
use std::process::ExitCode;

use kraft_config::cli::{CliAction, ServerArgs, USAGE};
use kraft_config::ServerConfig;
use tracing_subscriber::EnvFilter;

/// Exit code for a bad command line or a bad config, as for usage errors.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let args = match ServerArgs::parse(std::env::args_os().skip(1)) {
        Ok(CliAction::Run(args)) => args,
        Ok(CliAction::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("kraft-server: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };

    let config = match ServerConfig::load(&args.config) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("kraft-server: invalid configuration: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };

    init_logging();
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let (host, port) = config.raft_listener();
    tracing::info!(
        node_id = config.node_id,
        voter = config.is_voter(),
        listener = %format!("{}://{host}:{port}", config.raft_listener_name()),
        voters = %config
            .voters()
            .iter()
            .map(|v| format!("{}@{}:{}", v.id, v.host, v.port))
            .collect::<Vec<_>>()
            .join(","),
        partition_dir = %config.partition_dir().display(),
        throughput_records_per_sec = args.throughput_records_per_sec,
        record_size_bytes = args.record_size_bytes,
        cpus = %format!(
            "raft={} network={} log={} spin={}",
            config.placement.raft_cpus,
            config.placement.network_cpus,
            config.placement.log_cpus,
            config.placement.spin
        ),
        "starting kraft-server from {}",
        config.source
    );

    kraft_bin::server::run(config, args)
}

/// Logs go to stderr (stdout carries the performance report), filtered by
/// `RUST_LOG`, default `info`.
fn init_logging() {
    let (filter, bad_filter) = match std::env::var("RUST_LOG") {
        Ok(spec) => match EnvFilter::try_new(&spec) {
            Ok(filter) => (filter, None),
            Err(error) => (EnvFilter::new("info"), Some((spec, error))),
        },
        Err(_) => (EnvFilter::new("info"), None),
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter)
        .init();
    if let Some((spec, error)) = bad_filter {
        tracing::warn!("ignoring invalid RUST_LOG `{spec}` ({error}); logging at info");
    }
}
