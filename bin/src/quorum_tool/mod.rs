//! The DescribeQuorum client behind `bin/kraft-quorum.sh`.
//!
//! Only the leader answers DescribeQuorum; another node answers NOT_LEADER_OR_FOLLOWER. The tool
//! tries each `--bootstrap-server` in turn (a comma-separated list, like Kafka's
//! `--bootstrap-controller`) and, when a node names the leader and its endpoint, follows it.
//!
//! Kafka's TestRaftServer answers no DescribeQuorum at all (UNKNOWN_SERVER_ERROR, leader or
//! not). When such a node leads, the tool prints what the followers report (leader id and
//! epoch), says on stderr that the leader does not serve DescribeQuorum, and exits with
//! [`EXIT_LEADER_DOES_NOT_DESCRIBE`].

mod describe;
mod log_start;
mod render;

use std::process::ExitCode;

pub const USAGE: &str = "\
Usage: kraft-quorum.sh --bootstrap-server HOST:PORT[,HOST:PORT...] describe (--status | --replication)

Prints the quorum as Kafka's kafka-metadata-quorum.sh does:
  --status       leader id, epoch, high watermark, follower lag, voters and observers, then
                 the leader's log start offset and latest snapshot (from one Fetch as a
                 non-replica; the snapshot is named only when the log no longer starts at 0)
  --replication  each voter's and observer's log end offset, lag and fetch times
Options:
  --timeout-ms N   per-request timeout (default 5000)
  -h, --help       this text
Exit codes: 0 described; 1 no member could describe the quorum; 2 bad command line;
  3 the leader does not serve DescribeQuorum (Kafka's TestRaftServer): the leader id and
  epoch the followers report are printed, nothing else is known.";

/// Exit code when no member could be reached or none knows the leader.
pub const EXIT_UNDESCRIBED: u8 = 1;
/// Exit code for a bad command line.
pub const EXIT_USAGE: u8 = 2;
/// Exit code when the followers name a leader that responds but does not serve DescribeQuorum
/// (Kafka's TestRaftServer): only the leader id and epoch are printed.
pub const EXIT_LEADER_DOES_NOT_DESCRIBE: u8 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Status,
    Replication,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolArgs {
    pub servers: Vec<String>,
    pub view: View,
    pub timeout_ms: u64,
}

/// Parses the command line; `Ok(None)` = help.
pub fn parse_args(args: &[String]) -> Result<Option<ToolArgs>, String> {
    let mut servers = None;
    let mut view = None;
    let mut describe = false;
    let mut timeout_ms = 5000;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg, None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag {
            "-h" | "--help" => return Ok(None),
            "--bootstrap-server" | "--bootstrap-controller" => {
                let list = value(flag)?;
                let parsed: Vec<String> = list
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                for server in &parsed {
                    if server
                        .rsplit_once(':')
                        .and_then(|(_, p)| p.parse::<u16>().ok())
                        .is_none()
                    {
                        return Err(format!("bad server '{server}': expected HOST:PORT"));
                    }
                }
                if parsed.is_empty() {
                    return Err("--bootstrap-server needs at least one HOST:PORT".into());
                }
                servers = Some(parsed);
            }
            "--timeout-ms" => {
                let v = value(flag)?;
                timeout_ms = v
                    .parse()
                    .map_err(|_| format!("--timeout-ms: '{v}' is not a number of milliseconds"))?;
            }
            "describe" => describe = true,
            "--status" => view = Some(View::Status),
            "--replication" => view = Some(View::Replication),
            other => return Err(format!("unknown argument '{other}'")),
        }
        i += 1;
    }
    let servers = servers.ok_or("--bootstrap-server is required")?;
    if !describe {
        return Err("the only command is 'describe'".into());
    }
    let view = view.ok_or("describe needs --status or --replication")?;
    Ok(Some(ToolArgs {
        servers,
        view,
        timeout_ms,
    }))
}

pub fn main(args: Vec<String>) -> ExitCode {
    let args = match parse_args(&args) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("kraft-quorum: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match describe::describe(&args.servers, args.timeout_ms) {
        Ok((leader, quorum)) => {
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
            let text = match args.view {
                View::Status => {
                    let log_start =
                        log_start::fetch_log_start(&leader, quorum.leader_epoch, args.timeout_ms);
                    render::status(&quorum, &log_start)
                }
                View::Replication => render::replication(&quorum, now_ms),
            };
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(undescribed) => report_undescribed(&undescribed),
    }
}

/// No description: the followers' view when the leader responds without one, else the error.
fn report_undescribed(undescribed: &describe::Undescribed) -> ExitCode {
    let leader = undescribed.reported_leader();
    match (&leader, undescribed.leader_refusal()) {
        (Some(leader), Some(refusal)) => {
            print!("{}", render::reported_leader(leader));
            eprintln!(
                "kraft-quorum: the leader, node {} at {}, does not serve DescribeQuorum ({refusal}); \
                 leader id and epoch are as reported by {}; high watermark, lag and replica \
                 states are unknown",
                leader.leader_id,
                leader.endpoint.as_deref().unwrap_or("?"),
                leader.reported_by.join(", ")
            );
            ExitCode::from(EXIT_LEADER_DOES_NOT_DESCRIBE)
        }
        _ => {
            eprintln!(
                "kraft-quorum: no member described the quorum ({})",
                undescribed.summary()
            );
            ExitCode::from(EXIT_UNDESCRIBED)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_kafka_style_command_lines() {
        let parsed = parse_args(&args(&[
            "--bootstrap-server",
            "localhost:9092,localhost:9093",
            "describe",
            "--status",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(parsed.servers, vec!["localhost:9092", "localhost:9093"]);
        assert_eq!(parsed.view, View::Status);
        let parsed = parse_args(&args(&[
            "--bootstrap-controller=h:1",
            "describe",
            "--replication",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(parsed.view, View::Replication);
        assert_eq!(parse_args(&args(&["--help"])).unwrap(), None);
    }

    #[test]
    fn rejects_bad_command_lines() {
        assert!(parse_args(&args(&["describe", "--status"]))
            .unwrap_err()
            .contains("--bootstrap-server"));
        assert!(parse_args(&args(&[
            "--bootstrap-server",
            "nohost",
            "describe",
            "--status"
        ]))
        .unwrap_err()
        .contains("nohost"));
        assert!(parse_args(&args(&["--bootstrap-server", "h:1", "describe"])).is_err());
        assert!(parse_args(&args(&["--bootstrap-server", "h:1", "--status"])).is_err());
    }
}
