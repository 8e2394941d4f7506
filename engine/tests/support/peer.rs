//! One node of the test cluster: its core, its in-memory log and what it persisted, emitted
//! and executed.

use bytes::Bytes;
use kraft_engine::{ElectionState, ListenerEvent, ListenerId, Output, RaftNode};

#[derive(Clone, Debug)]
pub struct LogBatch {
    pub base_offset: i64,
    pub last_offset: i64,
    pub epoch: i32,
    pub bytes: Bytes,
}

pub struct Peer {
    pub node: RaftNode,
    pub log: Vec<LogBatch>,
    pub persisted: Vec<ElectionState>,
    pub events: Vec<(ListenerId, ListenerEvent)>,
    /// Every output in execution order, for ordering checks (when `Cluster::record_trace`).
    pub trace: Vec<Output>,
    /// Durable end of `log` (what survives a crash).
    pub flushed: i64,
    /// The core's last `Output::UpdatePeers`: where it may send.
    pub address_book: Vec<kraft_engine::PeerAddress>,
}

impl Peer {
    pub fn log_end_offset(&self) -> i64 {
        self.log.last().map_or(0, |b| b.last_offset + 1)
    }

    /// Concatenated batches from the one containing `from_offset`, at most `max_bytes` but at
    /// least one batch, as a leader's runtime would read them from its log.
    pub fn read(&self, from_offset: i64, max_bytes: u32) -> Bytes {
        let mut out = Vec::new();
        for b in self.log.iter().filter(|b| b.last_offset >= from_offset) {
            if !out.is_empty() && out.len() + b.bytes.len() > max_bytes as usize {
                break;
            }
            out.extend_from_slice(&b.bytes);
        }
        Bytes::from(out)
    }

    pub fn commits(&self, id: ListenerId) -> Vec<(i64, i64)> {
        self.events
            .iter()
            .filter(|(l, _)| *l == id)
            .filter_map(|(_, e)| match e {
                ListenerEvent::Commit {
                    from_offset,
                    to_offset_exclusive,
                } => Some((*from_offset, *to_offset_exclusive)),
                _ => None,
            })
            .collect()
    }

    pub fn leader_changes(&self, id: ListenerId) -> Vec<kraft_engine::LeaderAndEpoch> {
        self.events
            .iter()
            .filter(|(l, _)| *l == id)
            .filter_map(|(_, e)| match e {
                ListenerEvent::LeaderChange(le) => Some(*le),
                _ => None,
            })
            .collect()
    }
}
