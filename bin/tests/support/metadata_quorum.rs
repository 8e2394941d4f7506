//! Reading what `kafka-metadata-quorum describe` prints (Kafka's `MetadataQuorumCommand`), and
//! running our `kraft-quorum` with its exit code.

use std::process::Command;
use std::time::Duration;

use kraft_interop::kafka::run_bounded;

/// `describe --status`: `Name: value` lines; voters as `[{"id": 1, "directoryId": ...,
/// "endpoints": ["PLAINTEXT://host:port"]}, ...]`.
#[derive(Debug, Clone)]
pub struct Status {
    pub cluster_id: String,
    pub leader_id: i32,
    pub leader_epoch: i32,
    pub high_watermark: i64,
    pub max_follower_lag: i64,
    pub max_follower_lag_time_ms: i64,
    pub voters: Vec<Replica>,
    pub observers: Vec<Replica>,
}

/// One replica of `CurrentVoters` / `CurrentObservers`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Replica {
    pub id: i32,
    /// `None` when printed as `null` (Kafka's zero UUID: no directory id).
    pub directory_id: Option<String>,
    pub endpoints: Vec<String>,
}

fn field<'a>(text: &'a str, name: &str) -> Result<&'a str, String> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
        .ok_or_else(|| format!("no `{name}:` line"))
}

fn number<T: std::str::FromStr>(text: &str, name: &str) -> Result<T, String> {
    let value = field(text, name)?;
    value
        .parse()
        .map_err(|_| format!("`{name}` is not a number: {value}"))
}

/// The replicas of a `CurrentVoters` / `CurrentObservers` value.
fn replicas(value: &str) -> Result<Vec<Replica>, String> {
    let mut out = Vec::new();
    for chunk in value.split("{\"id\": ").skip(1) {
        let id_end = chunk.find(',').ok_or("unterminated id")?;
        let id = chunk[..id_end]
            .trim()
            .parse()
            .map_err(|_| format!("bad id in {chunk}"))?;
        let directory_id = chunk
            .split_once("\"directoryId\": ")
            .map(|(_, rest)| rest.split([',', '}']).next().unwrap_or("").trim())
            .filter(|d| *d != "null")
            .map(|d| d.trim_matches('"').to_string());
        let endpoints = match chunk.split_once("\"endpoints\": [") {
            Some((_, rest)) => {
                let list = &rest[..rest.find(']').ok_or("unterminated endpoints")?];
                list.split(',')
                    .map(|e| e.trim().trim_matches('"').to_string())
                    .collect()
            }
            None => Vec::new(),
        };
        out.push(Replica {
            id,
            directory_id,
            endpoints,
        });
    }
    Ok(out)
}

pub fn parse_status(text: &str) -> Result<Status, String> {
    Ok(Status {
        cluster_id: field(text, "ClusterId")?.to_string(),
        leader_id: number(text, "LeaderId")?,
        leader_epoch: number(text, "LeaderEpoch")?,
        high_watermark: number(text, "HighWatermark")?,
        max_follower_lag: number(text, "MaxFollowerLag")?,
        max_follower_lag_time_ms: number(text, "MaxFollowerLagTimeMs")?,
        voters: replicas(field(text, "CurrentVoters")?)?,
        observers: replicas(field(text, "CurrentObservers")?)?,
    })
}

/// One row of `describe --replication` (without `--human-readable`: raw timestamps).
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i32,
    pub log_end_offset: i64,
    pub lag: i64,
    pub last_fetch_timestamp: i64,
    pub last_caught_up_timestamp: i64,
    pub status: String,
}

/// Rows by column name, so a column Kafka adds (4.x printed `DirectoryId`) does not shift them.
pub fn parse_replication(text: &str) -> Result<Vec<Row>, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or("no header")?
        .split_whitespace()
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("no column {name} in {header:?}"))
    };
    let (id, leo, lag) = (column("NodeId")?, column("LogEndOffset")?, column("Lag")?);
    let (fetch, caught_up) = (
        column("LastFetchTimestamp")?,
        column("LastCaughtUpTimestamp")?,
    );
    let status = column("Status")?;
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            let num = |i: usize| -> Result<i64, String> {
                cells
                    .get(i)
                    .and_then(|c| c.parse().ok())
                    .ok_or_else(|| format!("column {i} of `{line}`"))
            };
            Ok(Row {
                id: num(id)? as i32,
                log_end_offset: num(leo)?,
                lag: num(lag)?,
                last_fetch_timestamp: num(fetch)?,
                last_caught_up_timestamp: num(caught_up)?,
                status: cells.get(status).ok_or("no status")?.to_string(),
            })
        })
        .collect()
}

/// A finished `kraft-quorum` run.
#[derive(Debug)]
pub struct ToolRun {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl ToolRun {
    pub fn leader_and_epoch(&self) -> Option<(i32, i32)> {
        Some((
            number(&self.stdout, "LeaderId").ok()?,
            number(&self.stdout, "LeaderEpoch").ok()?,
        ))
    }
}

pub fn run_kraft_quorum(servers: &str, view: &str) -> ToolRun {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kraft-quorum"));
    command
        .args(["--bootstrap-server", servers, "--timeout-ms", "2000"])
        .args(["describe", view]);
    // Far beyond the tool's own 2 s timeout: only a hung tool reaches it (and is killed by PID).
    let out = run_bounded(command, Duration::from_secs(60));
    assert!(
        !out.timed_out,
        "kraft-quorum describe {view} against {servers} did not exit:\n{}",
        out.stderr
    );
    ToolRun {
        code: out.code,
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// The last lines of a Java tool's stderr (its config dump is long).
pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
