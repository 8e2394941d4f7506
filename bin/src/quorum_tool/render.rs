//! Text output in the shape of `kafka-metadata-quorum.sh describe`.

use super::describe::{Quorum, Replica, ReportedLeader};
use super::log_start::LogStart;
use std::fmt::Write;

fn leader(q: &Quorum) -> Option<&Replica> {
    q.voters.iter().find(|r| r.id == q.leader_id)
}

fn ids(replicas: &[Replica]) -> String {
    let list: Vec<String> = replicas.iter().map(|r| r.id.to_string()).collect();
    format!("[{}]", list.join(","))
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

/// Kafka's lines, then the leader's log start and latest snapshot from its Fetch answer.
pub fn status(q: &Quorum, log_start: &LogStart) -> String {
    let (max_lag, max_lag_time) = max_follower_lag(q);
    let mut out = String::new();
    let _ = writeln!(out, "LeaderId:               {}", q.leader_id);
    let _ = writeln!(out, "LeaderEpoch:            {}", q.leader_epoch);
    let _ = writeln!(out, "HighWatermark:          {}", q.high_watermark);
    let _ = writeln!(out, "MaxFollowerLag:         {max_lag}");
    let _ = writeln!(out, "MaxFollowerLagTimeMs:   {max_lag_time}");
    let _ = writeln!(out, "CurrentVoters:          {}", ids(&q.voters));
    let _ = writeln!(out, "CurrentObservers:       {}", ids(&q.observers));
    log_start_lines(&mut out, log_start);
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
    use kraft_engine::message::SnapshotId;
    use kraft_records::Uuid;

    fn quorum() -> Quorum {
        let r = |id, leo| Replica {
            id,
            directory_id: Uuid::from_parts(0, id as u64 + 100),
            log_end_offset: leo,
            last_fetch_timestamp: 1000,
            last_caught_up_timestamp: 900,
        };
        Quorum {
            leader_id: 1,
            leader_epoch: 4,
            high_watermark: 90,
            voters: vec![r(1, 100), r(2, 100), r(3, 60)],
            observers: vec![r(7, 10)],
        }
    }

    #[test]
    fn status_matches_kafka_shape() {
        let text = status(&quorum(), &LogStart::Unknown("x".into()));
        assert!(text.contains("LeaderId:               1\n"));
        assert!(text.contains("LeaderEpoch:            4\n"));
        assert!(text.contains("HighWatermark:          90\n"));
        assert!(text.contains("MaxFollowerLag:         40\n"));
        assert!(text.contains("CurrentVoters:          [1,2,3]\n"));
        assert!(text.contains("CurrentObservers:       [7]\n"));
    }

    /// Kafka's seven lines keep their order; the two from the Fetch answer come after them.
    #[test]
    fn status_ends_with_the_leaders_log_start_and_snapshot() {
        let known = LogStart::Known {
            log_start_offset: 4096,
            snapshot: Some(SnapshotId {
                end_offset: 5000,
                epoch: 3,
            }),
        };
        let text = status(&quorum(), &known);
        let keys: Vec<&str> = text.lines().map(|l| l.split(':').next().unwrap()).collect();
        assert_eq!(
            keys,
            [
                "LeaderId",
                "LeaderEpoch",
                "HighWatermark",
                "MaxFollowerLag",
                "MaxFollowerLagTimeMs",
                "CurrentVoters",
                "CurrentObservers",
                "LogStartOffset",
                "LatestSnapshot"
            ]
        );
        assert!(text.contains("\nLogStartOffset:         4096\n"));
        assert!(text.contains("\nLatestSnapshot:         EndOffset 5000, Epoch 3\n"));
        let at_zero = LogStart::Known {
            log_start_offset: 0,
            snapshot: None,
        };
        let text = status(&quorum(), &at_zero);
        assert!(text.contains("\nLogStartOffset:         0\n"));
        assert!(text.contains("\nLatestSnapshot:         not reported"));
        let failed = LogStart::Unknown("answered Fetch with FENCED_LEADER_EPOCH (74)".into());
        let text = status(&quorum(), &failed);
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
