//! Our `kraft-quorum` tool run as an operator runs it (`describe`, `add-controller`,
//! `remove-controller`), the parse of its `describe --status` answer (the shape of Kafka's
//! `kafka-metadata-quorum describe --status`, so Kafka's output parses too), and bounded retries
//! of a voter change while the leader moves.

use crate::kafka::{run_bounded, ToolOutput};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Per-request timeout given to the tool; the process itself is killed well after it.
const REQUEST_TIMEOUT_MS: u32 = 3000;
const TOOL_DEADLINE: Duration = Duration::from_secs(60);

/// The `kraft-quorum` binary.
#[derive(Debug, Clone)]
pub struct QuorumTool {
    pub binary: PathBuf,
}

impl QuorumTool {
    /// `kraft-quorum`, built beside `kraft-server` (same target directory).
    pub fn beside(server_binary: &Path) -> QuorumTool {
        QuorumTool {
            binary: server_binary.with_file_name("kraft-quorum"),
        }
    }

    /// `kraft-quorum --bootstrap-server BOOTSTRAP --timeout-ms N ARGS...`.
    pub fn run(&self, bootstrap: &str, args: &[&str]) -> ToolOutput {
        let mut command = Command::new(&self.binary);
        command
            .arg("--bootstrap-server")
            .arg(bootstrap)
            .arg("--timeout-ms")
            .arg(REQUEST_TIMEOUT_MS.to_string())
            .args(args);
        run_bounded(command, TOOL_DEADLINE)
    }

    /// `add-controller --config CONFIG`: the node id, directory id and controller listener of
    /// the node whose config this is.
    pub fn add_controller(&self, bootstrap: &str, config: &Path) -> ToolOutput {
        let config = config.display().to_string();
        self.run(bootstrap, &["add-controller", "--config", &config])
    }

    /// `remove-controller --controller-id ID --controller-directory-id DIRECTORY_ID`.
    pub fn remove_controller(&self, bootstrap: &str, id: i32, directory_id: &str) -> ToolOutput {
        let id = id.to_string();
        self.run(
            bootstrap,
            &[
                "remove-controller",
                "--controller-id",
                &id,
                "--controller-directory-id",
                directory_id,
            ],
        )
    }

    /// `describe --status`, parsed; `None` when the tool failed or printed no leader.
    pub fn status(&self, bootstrap: &str) -> Option<QuorumStatus> {
        let out = self.run(bootstrap, &["describe", "--status"]);
        out.success
            .then(|| QuorumStatus::parse(&out.stdout))
            .flatten()
    }
}

/// One entry of `CurrentVoters` / `CurrentObservers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    pub id: i32,
    /// `None` in Kafka's static (kraft.version 0) output or when it printed `null`.
    pub directory_id: Option<String>,
}

/// What `describe --status` printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumStatus {
    pub leader_id: i32,
    pub leader_epoch: i32,
    pub high_watermark: i64,
    pub voters: Vec<Replica>,
    pub observers: Vec<Replica>,
}

impl QuorumStatus {
    pub fn parse(text: &str) -> Option<QuorumStatus> {
        let value = |name: &str| -> Option<&str> {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
        };
        let number = |name: &str| -> Option<i64> { value(name)?.parse().ok() };
        Some(QuorumStatus {
            leader_id: number("LeaderId:")? as i32,
            leader_epoch: number("LeaderEpoch:")? as i32,
            high_watermark: number("HighWatermark:")?,
            voters: parse_replicas(value("CurrentVoters:")?)?,
            observers: parse_replicas(value("CurrentObservers:").unwrap_or("[]"))?,
        })
    }

    /// The voters' ids, ascending.
    pub fn voter_ids(&self) -> Vec<i32> {
        let mut ids: Vec<i32> = self.voters.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids
    }

    /// Whether replica key (`id`, `directory_id`) is a voter; a voter printed without a directory
    /// id (a static quorum's output) counts by its id alone.
    pub fn has_voter(&self, id: i32, directory_id: &str) -> bool {
        self.voters
            .iter()
            .any(|r| r.id == id && r.directory_id.as_deref().is_none_or(|d| d == directory_id))
    }

    /// The directory id of voter `id`, if it is a voter and one was printed.
    pub fn voter_directory_id(&self, id: i32) -> Option<&str> {
        self.voters
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.directory_id.as_deref())
    }
}

/// `[1,2,3]` (static quorums) or Kafka 4.x's `[{"id": 1, "directoryId": "X", "endpoints":
/// [...]}, ...]` (`"directoryId": null` for none).
fn parse_replicas(list: &str) -> Option<Vec<Replica>> {
    let inner = list.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    if inner.is_empty() {
        return Some(Vec::new());
    }
    if !inner.contains('{') {
        return inner
            .split(',')
            .map(|n| {
                Some(Replica {
                    id: n.trim().parse().ok()?,
                    directory_id: None,
                })
            })
            .collect();
    }
    inner
        .split('{')
        .filter(|chunk| !chunk.trim().is_empty())
        .map(|chunk| {
            let id = json_field(chunk, "id")?.parse().ok()?;
            let directory_id = json_field(chunk, "directoryId")
                .filter(|v| *v != "null")
                .map(|v| v.trim_matches('"').to_string());
            Some(Replica { id, directory_id })
        })
        .collect()
}

/// The raw value of `"key": value` in a flat JSON object's text (a string keeps its quotes).
fn json_field<'a>(object: &'a str, key: &str) -> Option<&'a str> {
    let at = object.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = object[at..].trim_start();
    let end = if let Some(quoted) = rest.strip_prefix('"') {
        quoted.find('"')? + 2
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim())
}

/// Runs a voter change until `done` says it took effect: issues `change`, then polls `done` for
/// up to `settle`; repeats at most `attempts` times (the leader may move mid-change, a refusal
/// such as "another change is in progress" passes). Returns every run's output, for the test's
/// log; `Err` with them when it never took effect.
pub fn change_until<S>(
    state: &mut S,
    (attempts, settle): (u32, Duration),
    mut change: impl FnMut(&mut S) -> ToolOutput,
    mut done: impl FnMut(&mut S) -> bool,
) -> Result<Vec<ToolOutput>, Vec<ToolOutput>> {
    let mut runs = Vec::new();
    for _ in 0..attempts {
        runs.push(change(state));
        let deadline = Instant::now() + settle;
        loop {
            if done(state) {
                return Ok(runs);
            }
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    Err(runs)
}

/// The outputs of tool runs, for failure messages and the test's log.
pub fn summarize(runs: &[ToolOutput]) -> String {
    runs.iter()
        .enumerate()
        .map(|(i, o)| {
            format!(
                "run {}: exit {:?}{}\n  stdout: {}\n  stderr: {}\n",
                i + 1,
                o.code,
                if o.timed_out { " (timed out)" } else { "" },
                o.stdout.trim(),
                crate::format::tail(o.stderr.trim(), 6)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_static_and_dynamic_status() {
        let ours = "ClusterId:              AAAAAAAAAAAAAAAAAAAAAA\nLeaderId:               2\n\
                    LeaderEpoch:            7\nHighWatermark:          1234\n\
                    CurrentVoters:          [1,2,3]\nCurrentObservers:       []\n";
        let s = QuorumStatus::parse(ours).unwrap();
        assert_eq!(
            (s.leader_id, s.leader_epoch, s.high_watermark),
            (2, 7, 1234)
        );
        assert_eq!(s.voter_ids(), [1, 2, 3]);
        assert!(s.observers.is_empty());

        let kafka = "LeaderId:               1\nLeaderEpoch:            1\n\
            HighWatermark:          3\nMaxFollowerLag:         0\n\
            CurrentVoters:          [{\"id\": 1, \"directoryId\": \"Qio7PyoqTz6DRk5i5nYVzw\", \
            \"endpoints\": [\"PLAINTEXT://127.0.0.1:19091\"]}, {\"id\": 3, \"directoryId\": null, \
            \"endpoints\": [\"PLAINTEXT://127.0.0.1:19093\"]}]\n\
            CurrentObservers:       [{\"id\": 2, \"directoryId\": \"S1kxDJ8dQxS6ygcDNZ2Y6A\"}]\n";
        let s = QuorumStatus::parse(kafka).unwrap();
        assert_eq!(s.voter_ids(), [1, 3]);
        assert_eq!(s.voter_directory_id(1), Some("Qio7PyoqTz6DRk5i5nYVzw"));
        assert_eq!(s.voter_directory_id(3), None);
        assert!(s.has_voter(1, "Qio7PyoqTz6DRk5i5nYVzw") && s.has_voter(3, "any"));
        assert!(
            !s.has_voter(1, "S1kxDJ8dQxS6ygcDNZ2Y6A") && !s.has_voter(2, "S1kxDJ8dQxS6ygcDNZ2Y6A")
        );
        assert_eq!(
            s.observers,
            [Replica {
                id: 2,
                directory_id: Some("S1kxDJ8dQxS6ygcDNZ2Y6A".into())
            }]
        );
        assert_eq!(QuorumStatus::parse("LeaderId: 1\n"), None);
    }

    #[test]
    fn change_until_is_bounded() {
        let quiet = || ToolOutput {
            success: false,
            code: Some(1),
            timed_out: false,
            stdout: String::new(),
            stderr: "NOT_LEADER_OR_FOLLOWER".into(),
        };
        let mut runs = 0;
        let never = change_until(
            &mut runs,
            (3, Duration::ZERO),
            |runs| {
                *runs += 1;
                quiet()
            },
            |_| false,
        );
        assert_eq!(never.unwrap_err().len(), 3);
        assert_eq!(runs, 3);
        let mut checks = 0;
        let second = change_until(
            &mut checks,
            (5, Duration::ZERO),
            |_| quiet(),
            |checks| {
                *checks += 1;
                *checks >= 2
            },
        );
        assert_eq!(second.unwrap().len(), 2);
    }
}
