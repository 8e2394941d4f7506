//! The fetcher's side of Fetch (follower and observer, spec 3.6 "Follower") and FetchSnapshot.

use kraft_records::BatchIter;

use super::RaftNode;
use crate::io::{Output, PeerAddress};
use crate::message::{ErrorCode, FetchResponse, Records};
use crate::state::QuorumState;

/// Batches taken from one response at most (a response holds at most 8 MiB anyway).
const MAX_BATCHES_PER_RESPONSE: usize = 100_000;

impl RaftNode {
    pub(super) fn handle_fetch_response(&mut self, from: i32, r: FetchResponse) -> bool {
        if r.topic_id != self.config.topic_id || r.partition != self.config.partition {
            return false;
        }
        if let QuorumState::Follower(f) = &mut self.state {
            if f.rediscover_from == Some(from) {
                f.rediscover_from = None;
            }
        }
        let leader_id = r.current_leader.leader_id;
        if let Some(e) = r.node_endpoints.iter().find(|e| e.node_id == leader_id) {
            self.learn_leader_endpoint(PeerAddress {
                id: e.node_id,
                host: e.host.clone(),
                port: e.port,
            });
        }
        // A responder behind this node's epoch teaches nothing; asking it again at once would
        // spin (e.g. an unattached node fetching from a voter that lags one epoch).
        let stale = r.current_leader.leader_epoch < self.state.epoch()
            || r.partition_error_code == ErrorCode::UNKNOWN_LEADER_EPOCH;
        if let Some(handled) = self.handle_common_response(
            r.partition_error_code,
            r.current_leader.leader_id,
            r.current_leader.leader_epoch,
        ) {
            return handled && !stale;
        }
        if !r.partition_error_code.is_none() {
            return false;
        }
        let leader_id = match &self.state {
            QuorumState::Follower(f) if f.epoch == r.current_leader.leader_epoch => f.leader_id,
            _ => return true,
        };
        if from != leader_id || self.is_loading_snapshot() {
            // Another voter's answer, or one to a Fetch sent before the load began: the log is
            // about to be replaced, so its records or divergence would apply to the wrong log.
            return true;
        }
        if r.diverging_epoch.epoch >= 0 {
            if !self.truncate_to_diverging(r.diverging_epoch.epoch, r.diverging_epoch.end_offset) {
                return false;
            }
        } else if r.snapshot_id.epoch >= 0 || r.snapshot_id.end_offset >= 0 {
            if !self.start_snapshot_download(r.snapshot_id) {
                return false;
            }
        } else {
            self.append_fetched_records(&r.records, r.current_leader.leader_epoch);
            if r.high_watermark >= 0 {
                let hw = r.high_watermark.min(self.log.end_offset);
                self.set_high_watermark(hw);
            }
        }
        let now_ms = self.now_ms;
        let deadline = now_ms.saturating_add(self.config.fetch_timeout_ms);
        if let QuorumState::Follower(f) = &mut self.state {
            f.fetch_deadline_ms = deadline;
            f.has_fetched = true;
            f.last_fetch_ms = now_ms;
        }
        true
    }

    /// Spec 4.4: truncate to where this log and the leader's agree. Refuses (returns false) to
    /// truncate below the high watermark: committed data never goes away.
    fn truncate_to_diverging(&mut self, epoch: i32, end_offset: i64) -> bool {
        let to = if epoch == 0 {
            end_offset.min(self.log.end_offset)
        } else {
            let local = self.log.end_offset_for_epoch(epoch);
            if local.epoch == epoch {
                local.end_offset.min(end_offset)
            } else {
                local.end_offset
            }
        };
        let to = to.min(self.log.end_offset).max(self.log.start_offset);
        if self.high_watermark.is_some_and(|hw| to < hw) {
            return false;
        }
        if let QuorumState::Follower(f) = &self.state {
            if to < f.validated_end_offset {
                // Stale: this leader already sent us these records in its epoch.
                return false;
            }
        }
        if to < self.log.end_offset {
            self.log.truncate(to);
            self.emit(Output::Truncate {
                to_offset: to,
                generation: self.log.generation,
            });
            self.truncate_voter_history(to);
        }
        true
    }

    /// Validates and appends fetched batches: CRC, contiguous from the log end, epochs not above
    /// the leader's and not decreasing. Stops at the first bad batch; a trailing partial batch is
    /// ignored.
    fn append_fetched_records(&mut self, records: &Records, leader_epoch: i32) {
        let Records::Bytes(bytes) = records else {
            return;
        };
        let mut appended = false;
        let mut iter = BatchIter::new(bytes);
        let mut consumed = 0usize;
        for _ in 0..MAX_BATCHES_PER_RESPONSE {
            let Some(item) = iter.next() else {
                break;
            };
            let Ok(batch) = item else {
                break;
            };
            let header = batch.header;
            let epoch = header.partition_leader_epoch;
            let last_epoch = self.log.last_fetched_epoch();
            if header.base_offset != self.log.end_offset
                || header.last_offset() < header.base_offset
                || epoch > leader_epoch
                || epoch < last_epoch
            {
                break;
            }
            let start = consumed;
            let end = start + batch.bytes.len();
            consumed = end;
            self.append_to_log(
                header.base_offset,
                header.last_offset(),
                epoch,
                bytes.slice(start..end),
            );
            self.record_control_batch(&batch);
            appended = true;
        }
        if appended {
            let end = self.log.end_offset;
            if let QuorumState::Follower(f) = &mut self.state {
                f.validated_end_offset = end;
            }
            self.emit(Output::Flush {
                up_to_offset: end,
                generation: self.log.generation,
            });
        }
    }
}
