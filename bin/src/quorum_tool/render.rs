//! Text output in the shape of `kafka-metadata-quorum.sh describe`.

use super::describe::{Quorum, Replica, ReportedLeader};
use std::fmt::Write;

fn leader(q: &Quorum) -> Option<&Replica> {
    q.voters.iter().find(|r| r.id == q.leader_id)
}

fn ids(replicas: &[Replica]) -> String {
    let list: Vec<String> = replicas.iter().map(|r| r.id.to_string()).collect();
    format!("[{}]", list.join(","))
}

pub fn status(q: &Quorum) -> String {
    let leader_end = leader(q).map_or(q.high_watermark, |l| l.log_end_offset);
    let followers = q.voters.iter().filter(|r| r.id != q.leader_id);
    let max_lag = followers
        .clone()
        .map(|r| (leader_end - r.log_end_offset).max(0))
        .max()
        .unwrap_or(0);
    let max_lag_time = match (
        leader(q),
        followers.map(|r| r.last_caught_up_timestamp).min(),
    ) {
        (Some(l), Some(min)) if min >= 0 => (l.last_caught_up_timestamp - min).max(0),
        _ => 0,
    };
    let mut out = String::new();
    let _ = writeln!(out, "LeaderId:               {}", q.leader_id);
    let _ = writeln!(out, "LeaderEpoch:            {}", q.leader_epoch);
    let _ = writeln!(out, "HighWatermark:          {}", q.high_watermark);
    let _ = writeln!(out, "MaxFollowerLag:         {max_lag}");
    let _ = writeln!(out, "MaxFollowerLagTimeMs:   {max_lag_time}");
    let _ = writeln!(out, "CurrentVoters:          {}", ids(&q.voters));
    let _ = writeln!(out, "CurrentObservers:       {}", ids(&q.observers));
    out
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
        "{:<8}{:<16}{:<8}{:<24}{:<24}Status",
        "NodeId", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp"
    );
    let rows = q
        .voters
        .iter()
        .map(|r| {
            (
                r,
                if r.id == q.leader_id {
                    "Leader"
                } else {
                    "Follower"
                },
            )
        })
        .chain(q.observers.iter().map(|r| (r, "Observer")));
    for (r, role) in rows {
        let _ = writeln!(
            out,
            "{:<8}{:<16}{:<8}{:<24}{:<24}{}",
            r.id,
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

    fn quorum() -> Quorum {
        let r = |id, leo| Replica {
            id,
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
        let text = status(&quorum());
        assert!(text.contains("LeaderId:               1\n"));
        assert!(text.contains("LeaderEpoch:            4\n"));
        assert!(text.contains("HighWatermark:          90\n"));
        assert!(text.contains("MaxFollowerLag:         40\n"));
        assert!(text.contains("CurrentVoters:          [1,2,3]\n"));
        assert!(text.contains("CurrentObservers:       [7]\n"));
    }

    #[test]
    fn replication_lists_lag_per_replica() {
        let text = replication(&quorum(), 1500);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NodeId"));
        assert!(
            lines[1].split_whitespace().collect::<Vec<_>>()
                == ["1", "100", "0", "500", "ms", "ago", "600", "ms", "ago", "Leader"]
        );
        assert!(lines[3].contains("40") && lines[3].ends_with("Follower"));
        assert!(lines[4].ends_with("Observer"));
    }
}
