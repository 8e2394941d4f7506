//! Log lines a user watches: state transitions with their epoch, the kraft.version and voter set
//! when they change (KIP-853: a dynamic quorum's voters come and go), and the follower's progress.

use kraft_engine::message::ReplicaKey;
use kraft_engine::{LeaderAndEpoch, NodeStatus, RaftNode, SnapshotProgress};

/// Followers print their progress this often.
const FOLLOWER_REPORT_INTERVAL_MS: u64 = 5000;

pub struct StatusLog {
    node_id: i32,
    last: Option<(String, i32, Option<i32>)>,
    /// The kraft.version and voter set last printed.
    last_voters: Option<(i16, Vec<ReplicaKey>)>,
    next_follower_report_ms: u64,
}

impl StatusLog {
    pub fn new(node_id: i32) -> Self {
        StatusLog {
            node_id,
            last: None,
            last_voters: None,
            next_follower_report_ms: 0,
        }
    }

    /// Logs a transition when the state, epoch or leader changed since the last call.
    pub fn observe(&mut self, node: &RaftNode, now_ms: u64) {
        self.observe_voters(node);
        let status = node.status();
        let state = format!("{:?}", status.state);
        let key = (state.clone(), status.epoch, status.leader_id);
        if self.last.as_ref() != Some(&key) {
            match status.leader_id {
                Some(leader) => tracing::info!(
                    node = self.node_id,
                    epoch = status.epoch,
                    leader,
                    "became {state} in epoch {}",
                    status.epoch
                ),
                None => tracing::info!(
                    node = self.node_id,
                    epoch = status.epoch,
                    "became {state} in epoch {}",
                    status.epoch
                ),
            }
            self.last = Some(key);
        }
        if now_ms >= self.next_follower_report_ms {
            self.next_follower_report_ms = now_ms + FOLLOWER_REPORT_INTERVAL_MS;
            if status.leader_id.is_some() && status.leader_id != Some(self.node_id) {
                let mut line = follower_line(&status);
                if let Some(download) = status.snapshot_download {
                    line.push_str(&download_line(download));
                }
                println!("{line}");
            }
        }
    }

    /// "kraft.version 1, voters [1, 2, 3]" whenever either changed (checked without allocating
    /// while they stay the same: this runs on every turn of the Raft loop).
    fn observe_voters(&mut self, node: &RaftNode) {
        let kraft_version = node.kraft_version();
        let voters = node.voter_set();
        let unchanged = self.last_voters.as_ref().is_some_and(|(version, keys)| {
            *version == kraft_version && keys.iter().copied().eq(voters.keys())
        });
        if unchanged {
            return;
        }
        let keys: Vec<ReplicaKey> = voters.keys().collect();
        let ids: Vec<i32> = keys.iter().map(|k| k.id).collect();
        let is_voter = voters.contains(ReplicaKey {
            id: self.node_id,
            directory_id: node.config().directory_id,
        });
        println!(
            "Node {}: kraft.version {kraft_version}, voters {ids:?}{}",
            self.node_id,
            if is_voter {
                ""
            } else {
                " (this node is an observer)"
            }
        );
        // Replica keys as `id` (static voters: no directory id) or `id:directoryId`, Kafka's
        // base64 form, as `describe --status` prints them.
        let voters: Vec<String> = keys
            .iter()
            .map(|k| match k.directory_id.is_zero() {
                true => k.id.to_string(),
                false => format!("{}:{}", k.id, k.directory_id),
            })
            .collect();
        tracing::info!(node = self.node_id, kraft_version, ?voters, "voter set");
        self.last_voters = Some((kraft_version, keys));
    }

    pub fn leader_change(&mut self, leader: LeaderAndEpoch) {
        tracing::debug!(leader = ?leader.leader_id, epoch = leader.epoch, "handleLeaderChange");
    }
}

/// ", downloading snapshot (end offset E, epoch P): N of M bytes" (M unknown before the first
/// chunk), or ", loading snapshot ..." once every byte is written.
fn download_line(download: SnapshotProgress) -> String {
    let id = download.snapshot_id;
    let size = match download.size_bytes {
        size if size >= 0 => size.to_string(),
        _ => "?".to_string(),
    };
    let doing = if download.loading {
        "loading"
    } else {
        "downloading"
    };
    format!(
        ", {doing} snapshot (end offset {}, epoch {}): {} of {size} bytes",
        id.end_offset, id.epoch, download.position
    )
}

fn follower_line(status: &NodeStatus) -> String {
    let leader = status.leader_id.unwrap_or(-1);
    match status.high_watermark {
        // A follower's high watermark never exceeds its own log end, so "behind the high
        // watermark" would always read 0. What it can say is how much of its log is not yet known
        // committed; lag against the leader's log end is `kraft-quorum.sh describe --replication`.
        Some(hw) => format!(
            "Following leader {leader} in epoch {}: log end offset {}, high watermark {hw}, {} records not yet known committed",
            status.epoch,
            status.log_end_offset,
            (status.log_end_offset - hw).max(0)
        ),
        None => format!(
            "Following leader {leader} in epoch {}: log end offset {}, high watermark unknown",
            status.epoch, status.log_end_offset
        ),
    }
}
