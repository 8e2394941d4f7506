//! Command line of the server binary, modelled on Kafka's
//! `test-kraft-server-start.sh` (`kafka.tools.TestRaftServer`).

use std::ffi::OsString;
use std::path::PathBuf;

pub use crate::cli_error::CliError;
use kraft_records::Uuid;

/// `TestRaftServer`'s default `--throughput`, records per second.
pub const DEFAULT_THROUGHPUT_RECORDS_PER_SEC: u32 = 5000;
/// `TestRaftServer`'s default `--record-size`, bytes.
pub const DEFAULT_RECORD_SIZE_BYTES: u32 = 256;
/// Largest `--record-size`: a one-record batch (61-byte batch header plus at
/// most 21 bytes of record framing) must fit Kafka's 8 MiB batch limit.
pub const MAX_RECORD_SIZE_BYTES: u32 = 8 * 1024 * 1024 - 1024;

/// Usage text printed by `--help`.
pub const USAGE: &str = "\
Usage: test-kraft-server-start.sh --config FILE [--throughput N] [--record-size B]
                                  [--replica-directory-id UUID]

Runs one KRaft quorum member of the Raft performance test. The leader appends
records of --record-size bytes at --throughput records/s to
__raft_performance_test-0 and reports committed throughput and latency.

Options:
  --config FILE                 Kafka .properties file (required)
  --throughput N                records per second the leader appends (default 5000)
  --record-size B               size of each record in bytes (default 256)
  --replica-directory-id UUID   this replica's directory id, Kafka base64 UUID (optional)
  -h, --help                    print this help and exit

Logging: RUST_LOG (default info), printed on stderr.";

/// Arguments of a server run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerArgs {
    pub config: PathBuf,
    pub throughput_records_per_sec: u32,
    pub record_size_bytes: u32,
    pub replica_directory_id: Option<Uuid>,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliAction {
    Run(ServerArgs),
    Help,
}

/// Upper bound on arguments we look at, so a runaway caller cannot make us
/// loop forever.
const MAX_ARGUMENTS: usize = 64;

impl ServerArgs {
    /// Parses the arguments after the program name. Accepts `--flag value`
    /// and `--flag=value`; the last occurrence of a flag wins. `--help`
    /// anywhere wins over everything else.
    pub fn parse<I, A>(args: I) -> Result<CliAction, CliError>
    where
        I: IntoIterator<Item = A>,
        A: Into<OsString>,
    {
        let mut strings = Vec::new();
        for arg in args.into_iter().take(MAX_ARGUMENTS + 1) {
            let arg: OsString = arg.into();
            match arg.into_string() {
                Ok(text) => strings.push(text),
                Err(raw) => {
                    return Err(CliError::NotUnicode {
                        lossy: raw.to_string_lossy().into_owned(),
                    })
                }
            }
        }
        if strings.iter().any(|arg| arg == "--help" || arg == "-h") {
            return Ok(CliAction::Help);
        }
        if strings.len() > MAX_ARGUMENTS {
            return Err(CliError::UnknownArgument {
                token: format!("(more than {MAX_ARGUMENTS} arguments)"),
            });
        }

        let mut config = None;
        let mut throughput = DEFAULT_THROUGHPUT_RECORDS_PER_SEC;
        let mut record_size = DEFAULT_RECORD_SIZE_BYTES;
        let mut directory_id = None;
        let mut rest = strings.into_iter();
        while let Some(arg) = rest.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    (flag.to_string(), Some(value.to_string()))
                }
                _ => (arg.clone(), None),
            };
            if !matches!(
                flag.as_str(),
                "--config" | "--throughput" | "--record-size" | "--replica-directory-id"
            ) {
                return Err(CliError::UnknownArgument { token: arg });
            }
            let value = match inline {
                Some(value) => value,
                None => rest
                    .next()
                    .ok_or_else(|| CliError::MissingValue { flag: flag.clone() })?,
            };
            match flag.as_str() {
                "--config" => {
                    if value.is_empty() {
                        return Err(bad(&flag, &value, "empty path"));
                    }
                    config = Some(PathBuf::from(value));
                }
                "--throughput" => {
                    throughput = parse_u32(&flag, &value, 1, u32::MAX)?;
                }
                "--record-size" => {
                    record_size = parse_u32(&flag, &value, 0, MAX_RECORD_SIZE_BYTES)?;
                }
                _ => {
                    let id: Uuid = value.parse().map_err(|_| {
                        bad(&flag, &value, "expected 22 characters of URL-safe base64")
                    })?;
                    directory_id = Some(id);
                }
            }
        }
        let config = config.ok_or(CliError::MissingConfig)?;
        Ok(CliAction::Run(ServerArgs {
            config,
            throughput_records_per_sec: throughput,
            record_size_bytes: record_size,
            replica_directory_id: directory_id,
        }))
    }
}

fn bad(flag: &str, token: &str, reason: &str) -> CliError {
    CliError::BadValue {
        flag: flag.to_string(),
        token: token.to_string(),
        reason: reason.to_string(),
    }
}

fn parse_u32(flag: &str, token: &str, min: u32, max: u32) -> Result<u32, CliError> {
    match token.parse::<u32>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(bad(
            flag,
            token,
            &format!("expected an integer in [{min}, {max}]"),
        )),
    }
}
