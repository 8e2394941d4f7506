//! `kraft-storage` (`bin/kraft-storage.sh`): Kafka's `kafka-storage` for this node.
//!
//! `random-uuid` prints a random Kafka Uuid; `format` writes each log directory's
//! `meta.properties` and, for a dynamic quorum (`--standalone`, `--initial-controllers`), the
//! KIP-853 bootstrap checkpoint with the initial voter set into the partition directory, as
//! Kafka's `Formatter` does (see [`format`]). Messages and exit codes are Kafka's: 0 done,
//! 1 anything refused or failed, the reason on stderr.

mod args;
mod error;
mod format;
mod initial_controllers;

pub use args::{parse, Command, FormatArgs, QuorumSetup};
pub use error::StorageToolError;
pub use initial_controllers::{parse_voters, DynamicVoter, DynamicVoters};

use std::process::ExitCode;

pub const USAGE: &str = "\
Usage: kraft-storage.sh random-uuid
       kraft-storage.sh format --config FILE --cluster-id ID
           [--standalone | --initial-controllers ID@HOST:PORT:DIRECTORY_ID,... | --no-initial-controllers]
           [--ignore-formatted]

The storage tool of kraft-server, as Kafka's kafka-storage.sh:
  random-uuid   print a random Kafka Uuid (for --cluster-id and directory ids)
  format        write meta.properties (version 1, cluster.id, node.id, directory.id) into every
                log directory of the config; for a dynamic quorum, also the bootstrap checkpoint
                00000000000000000000-0000000000.checkpoint (KRaftVersion 1 and the Voters
                record) into the partition directory of metadata.log.dir
Options of format:
  -c, --config FILE              the server configuration
  -t, --cluster-id ID            the cluster id (the same on every node)
  -s, --standalone               this node alone is the initial voter, with a new directory id,
                                 reached on its controller listener
  -I, --initial-controllers L    the initial voters; this node's entry gives its directory id
  -N, --no-initial-controllers   no voter set: a node that joins an existing dynamic quorum
  -g, --ignore-formatted         skip directories already formatted instead of failing
One of -s, -I, -N is required when controller.quorum.voters is not set; none is allowed with it
(except -N).
Exit codes: 0 done; 1 refused or failed (the reason on stderr).";

/// Runs the tool; the process exit code.
pub fn main(args: Vec<String>) -> ExitCode {
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            if matches!(error, StorageToolError::Usage(_)) {
                eprintln!("{USAGE}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), StorageToolError> {
    match args::parse(args).map_err(StorageToolError::Usage)? {
        Command::Help => {
            println!("{USAGE}");
            Ok(())
        }
        Command::RandomUuid => {
            let id = format::random_uuid().map_err(StorageToolError::Refused)?;
            println!("{id}");
            Ok(())
        }
        Command::Format(format_args) => format::run(&format_args, &mut std::io::stdout()),
    }
}
