//! Text output in the shape of `kafka-metadata-quorum.sh describe`.

use super::describe::{Quorum, Replica, ReportedLeader};
use super::log_start::LogStart;
use kraft_net::addr::join_host_port;
use std::fmt::Write;

/// What `--status` prints beside DescribeQuorum's answer; each says why when it is unknown.
pub struct StatusExtras {
    /// From DescribeCluster, Kafka's first line.
    pub cluster_id: Result<String, String>,
    /// From the leader's Fetch answer (our lines after Kafka's).
    pub log_start: LogStart,
    /// The leader's finalized kraft.version (ApiVersions), our last line.
    pub kraft_version: Result<i16, String>,
}

fn leader(q: &Quorum) -> Option<&Replica> {
    q.voters.iter().find(|r| r.id == q.leader_id)
}

/// Kafka 4.x's `CurrentVoters` / `CurrentObservers` value: `[{"id": 1, "directoryId": "...",
/// "endpoints": ["NAME://host:port"]}, ...]`, the directory id left out when it is zero and the
/// endpoints when DescribeQuorum named none for the node.
fn replicas_text(q: &Quorum, replicas: &[Replica]) -> String {
    let list: Vec<String> = replicas
        .iter()
        .map(|r| {
            let mut out = format!("{{\"id\": {}", r.id);
            if !r.directory_id.is_zero() {
                let _ = write!(out, ", \"directoryId\": \"{}\"", r.directory_id);
            }
            let endpoints = q.endpoints.get(&r.id).map_or(&[][..], Vec::as_slice);
            if !endpoints.is_empty() {
                let quoted: Vec<String> = endpoints
                    .iter()
                    .map(|e| format!("\"{}://{}\"", e.name, join_host_port(&e.host, e.port)))
                    .collect();
                let _ = write!(out, ", \"endpoints\": [{}]", quoted.join(", "));
            }
            out.push('}');
            out
        })
        .collect();
    format!("[{}]", list.join(", "))
}

/// Kafka's figures: the follower lag is the leader's end offset minus the smallest voter end
/// offset (the first such voter on ties, the leader included), and its time is the difference of
/// their caught-up timestamps (0 when that voter is the leader, -1 when one is unknown).
fn max_follower_lag(q: &Quorum) -> (i64, i64) {
    let Some(leader) = leader(q) else {
        return (0, -1);
    };
    let Some(laggard) = q.voters.iter().reduce(|min, r| {
        if r.log_end_offset < min.log_end_offset {
            r
        } else {
            min
        }
    }) else {
        return (0, -1);
    };
    let lag = leader.log_end_offset - laggard.log_end_offset;
    let lag_time = if laggard.id == leader.id {
        0
    } else if leader.last_caught_up_timestamp >= 0 && laggard.last_caught_up_timestamp >= 0 {
        leader.last_caught_up_timestamp - laggard.last_caught_up_timestamp
    } else {
        -1
    };
    (lag, lag_time)
}

/// Kafka 4.x's eight lines, then the leader's log start and latest snapshot from its Fetch
/// answer, then its kraft.version.
pub fn status(q: &Quorum, extras: &StatusExtras) -> String {
    let (max_lag, max_lag_time) = max_follower_lag(q);
    let mut out = String::new();
    let _ = match &extras.cluster_id {
        Ok(id) => writeln!(out, "ClusterId:              {id}"),
        Err(why) => writeln!(
            out,
            "ClusterId:              unknown (DescribeCluster failed: {why})"
        ),
    };
    let _ = writeln!(out, "LeaderId:               {}", q.leader_id);
    let _ = writeln!(out, "LeaderEpoch:            {}", q.leader_epoch);
    let _ = writeln!(out, "HighWatermark:          {}", q.high_watermark);
    let _ = writeln!(out, "MaxFollowerLag:         {max_lag}");
    let _ = writeln!(out, "MaxFollowerLagTimeMs:   {max_lag_time}");
    let _ = writeln!(
        out,
        "CurrentVoters:          {}",
        replicas_text(q, &q.voters)
    );
    let _ = writeln!(
        out,
        "CurrentObservers:       {}",
        replicas_text(q, &q.observers)
    );
    log_start_lines(&mut out, &extras.log_start);
    let _ = match &extras.kraft_version {
        Ok(level) => writeln!(out, "KRaftVersion:           {level}"),
        Err(why) => writeln!(
            out,
            "KRaftVersion:           unknown (ApiVersions failed: {why})"
        ),
    };
    out
}

/// The leader sends a SnapshotId only to a Fetch below its log start, so without one nothing is
/// known about its snapshots.
fn log_start_lines(out: &mut String, log_start: &LogStart) {
    match log_start {
        LogStart::Known {
            log_start_offset,
            snapshot,
        } => {
            let _ = writeln!(out, "LogStartOffset:         {log_start_offset}");
            let _ = match snapshot {
                Some(s) => writeln!(
                    out,
                    "LatestSnapshot:         EndOffset {}, Epoch {}",
                    s.end_offset, s.epoch
                ),
                None => writeln!(
                    out,
                    "LatestSnapshot:         not reported (the leader names its snapshot only \
                     to a fetch below its log start)"
                ),
            };
        }
        LogStart::Unknown(why) => {
            let _ = writeln!(out, "LogStartOffset:         unknown (Fetch failed: {why})");
            let _ = writeln!(out, "LatestSnapshot:         unknown (Fetch failed: {why})");
        }
    }
}

/// What is known when the leader does not serve DescribeQuorum: the followers' view only.
pub fn reported_leader(leader: &ReportedLeader) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "LeaderId:               {}", leader.leader_id);
    let _ = writeln!(out, "LeaderEpoch:            {}", leader.leader_epoch);
    out
}

fn ago(now_ms: i64, ts: i64) -> String {
    if ts < 0 {
        "-1".into()
    } else {
        format!("{} ms ago", (now_ms - ts).max(0))
    }
}

pub fn replication(q: &Quorum, now_ms: i64) -> String {
    let leader_end = leader(q).map_or(q.high_watermark, |l| l.log_end_offset);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<8}{:<24}{:<16}{:<8}{:<24}{:<24}Status",
        "NodeId",
        "DirectoryId",
        "LogEndOffset",
        "Lag",
        "LastFetchTimestamp",
        "LastCaughtUpTimestamp"
    );
    // Kafka's order: the leader, the other voters, the observers.
    let rows = leader(q)
        .map(|l| (l, "Leader"))
        .into_iter()
        .chain(
            q.voters
                .iter()
                .filter(|r| r.id != q.leader_id)
                .map(|r| (r, "Follower")),
        )
        .chain(q.observers.iter().map(|r| (r, "Observer")));
    for (r, role) in rows {
        let _ = writeln!(
            out,
            "{:<8}{:<24}{:<16}{:<8}{:<24}{:<24}{}",
            r.id,
            r.directory_id.to_string(),
            r.log_end_offset,
            (leader_end - r.log_end_offset).max(0),
            ago(now_ms, r.last_fetch_timestamp),
            ago(now_ms, r.last_caught_up_timestamp),
            role
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kraft_engine::message::{LeaderEndpoint, SnapshotId};
    use kraft_records::Uuid;

    fn quorum() -> Quorum {
        let r = |id, leo| Replica {
            id,
            directory_id: Uuid::from_parts(0, id as u64 + 100),
            log_end_offset: leo,
            last_fetch_timestamp: 1000,
            last_caught_up_timestamp: 900,
        };
        let endpoint = |name: &str, host: &str, port| LeaderEndpoint {
            name: name.into(),
            host: host.into(),
            port,
        };
        let mut voters = vec![r(1, 100), r(2, 100), r(3, 60)];
        voters[2].directory_id = Uuid::ZERO;
        Quorum {
            leader_id: 1,
            leader_epoch: 4,
            high_watermark: 90,
            voters,
            observers: vec![r(7, 10)],
            endpoints: [
                (1, vec![endpoint("CONTROLLER", "h1", 9093)]),
                (
                    2,
                    vec![
                        endpoint("CONTROLLER", "::1", 9094),
                        endpoint("OTHER", "h2", 1),
                    ],
                ),
            ]
            .into_iter()
            .collect(),
        }
    }

    fn extras(log_start: LogStart) -> StatusExtras {
        StatusExtras {
            cluster_id: Ok("AAAAAAAAAAAAAAAAAAAAAA".into()),
            log_start,
            kraft_version: Ok(1),
        }
    }

    #[test]
    fn status_matches_kafka_shape() {
        let text = status(&quorum(), &extras(LogStart::Unknown("x".into())));
        assert!(text.starts_with("ClusterId:              AAAAAAAAAAAAAAAAAAAAAA\n"));
        assert!(text.contains("LeaderId:               1\n"));
        assert!(text.contains("LeaderEpoch:            4\n"));
        assert!(text.contains("HighWatermark:          90\n"));
        assert!(text.contains("MaxFollowerLag:         40\n"));
        // Kafka 4.4's rendering: the directory id left out when zero, the endpoints when
        // unknown, IPv6 hosts in brackets.
        assert!(text.contains(
            "CurrentVoters:          [{\"id\": 1, \"directoryId\": \"AAAAAAAAAAAAAAAAAAAAZQ\", \
             \"endpoints\": [\"CONTROLLER://h1:9093\"]}, {\"id\": 2, \"directoryId\": \
             \"AAAAAAAAAAAAAAAAAAAAZg\", \"endpoints\": [\"CONTROLLER://[::1]:9094\", \
             \"OTHER://h2:1\"]}, {\"id\": 3}]\n"
        ));
        assert!(text.contains(
            "CurrentObservers:       [{\"id\": 7, \"directoryId\": \"AAAAAAAAAAAAAAAAAAAAaw\"}]\n"
        ));
        assert!(text.ends_with("KRaftVersion:           1\n"));
        let unknown = StatusExtras {
            cluster_id: Err("cannot connect".into()),
            log_start: LogStart::Unknown("x".into()),
            kraft_version: Err("no answer".into()),
        };
        let text = status(&quorum(), &unknown);
        assert!(text.starts_with(
            "ClusterId:              unknown (DescribeCluster failed: cannot connect)\n"
        ));
        assert!(text.ends_with("KRaftVersion:           unknown (ApiVersions failed: no answer)\n"));
    }

    /// Kafka's eight lines keep their order; the two from the Fetch answer and the
    /// kraft.version come after them.
    #[test]
    fn status_ends_with_the_leaders_log_start_and_snapshot() {
        let known = LogStart::Known {
            log_start_offset: 4096,
            snapshot: Some(SnapshotId {
                end_offset: 5000,
                epoch: 3,
            }),
        };
        let text = status(&quorum(), &extras(known));
        let keys: Vec<&str> = text.lines().map(|l| l.split(':').next().unwrap()).collect();
        assert_eq!(
            keys,
            [
                "ClusterId",
                "LeaderId",
                "LeaderEpoch",
                "HighWatermark",
                "MaxFollowerLag",
                "MaxFollowerLagTimeMs",
                "CurrentVoters",
                "CurrentObservers",
                "LogStartOffset",
                "LatestSnapshot",
                "KRaftVersion"
            ]
        );
        assert!(text.contains("\nLogStartOffset:         4096\n"));
        assert!(text.contains("\nLatestSnapshot:         EndOffset 5000, Epoch 3\n"));
        let at_zero = LogStart::Known {
            log_start_offset: 0,
            snapshot: None,
        };
        let text = status(&quorum(), &extras(at_zero));
        assert!(text.contains("\nLogStartOffset:         0\n"));
        assert!(text.contains("\nLatestSnapshot:         not reported"));
        let failed = LogStart::Unknown("answered Fetch with FENCED_LEADER_EPOCH (74)".into());
        let text = status(&quorum(), &extras(failed));
        assert!(text.contains(
            "\nLogStartOffset:         unknown (Fetch failed: answered Fetch with \
             FENCED_LEADER_EPOCH (74))\n"
        ));
        assert!(text.contains("\nLatestSnapshot:         unknown (Fetch failed: "));
    }

    #[test]
    fn replication_lists_lag_per_replica() {
        let text = replication(&quorum(), 1500);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NodeId"));
        assert!(
            lines[1].split_whitespace().collect::<Vec<_>>()
                == [
                    "1",
                    "AAAAAAAAAAAAAAAAAAAAZQ",
                    "100",
                    "0",
                    "500",
                    "ms",
                    "ago",
                    "600",
                    "ms",
                    "ago",
                    "Leader"
                ]
        );
        assert!(lines[3].contains("40") && lines[3].ends_with("Follower"));
        assert!(lines[4].ends_with("Observer"));
    }

    /// Kafka's MaxFollowerLagTimeMs: the caught-up time of the first voter with the smallest end
    /// offset, against the leader's; 0 when that voter is the leader.
    #[test]
    fn follower_lag_is_measured_as_kafka_does() {
        let r = |id, leo, caught_up| Replica {
            id,
            directory_id: Uuid::ZERO,
            log_end_offset: leo,
            last_fetch_timestamp: 1000,
            last_caught_up_timestamp: caught_up,
        };
        let mut q = quorum();
        q.voters = vec![r(1, 100, 1000), r(2, 60, 800), r(3, 60, 700)];
        assert_eq!(max_follower_lag(&q), (40, 200));
        q.voters = vec![r(1, 100, 1000), r(2, 100, 800), r(3, 100, 700)];
        assert_eq!(
            max_follower_lag(&q),
            (0, 0),
            "the leader is the first smallest"
        );
        q.voters[1] = r(2, 90, -1);
        assert_eq!(max_follower_lag(&q), (10, -1));
    }

    #[test]
    fn replication_lists_the_leader_first() {
        let mut q = quorum();
        q.leader_id = 3;
        let text = replication(&q, 1500);
        let roles: Vec<(String, String)> = text
            .lines()
            .skip(1)
            .map(|l| {
                let cells: Vec<&str> = l.split_whitespace().collect();
                (cells[0].to_string(), cells[cells.len() - 1].to_string())
            })
            .collect();
        let expected = [
            ("3", "Leader"),
            ("1", "Follower"),
            ("2", "Follower"),
            ("7", "Observer"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(roles, expected);
    }
}
