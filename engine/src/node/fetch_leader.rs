//! The leader's side of Fetch (1) and FetchSnapshot (59), the replica progress it feeds, and the
//! high watermark (spec 3.6, 3.7, 5.1).

use super::RaftNode;
use crate::log::FetchPosition;
use crate::message::{
    EpochEndOffset, ErrorCode, FetchRequest, FetchResponse, FetchSnapshotRequest,
    FetchSnapshotResponse, LeaderIdAndEpoch, Records, ReplicaKey, Response, SnapshotId,
    SnapshotRecords,
};
use crate::state::{ParkedFetch, QuorumState, ReplicaProgress};

/// Parked fetches beyond this are answered at once (each replica keeps at most one in flight,
/// so only misbehaving clients reach it).
const MAX_PARKED_FETCHES: usize = 1024;

/// Observers the leader tracks at most.
const MAX_OBSERVERS: usize = 1024;

/// Kafka forgets an observer that has not fetched for 5 minutes.
pub(super) const OBSERVER_EXPIRY_MS: u64 = 300_000;

impl RaftNode {
    fn current_leader(&self) -> LeaderIdAndEpoch {
        LeaderIdAndEpoch {
            leader_id: self.leader_id_or_sentinel(),
            leader_epoch: self.state.epoch(),
        }
    }

    fn fetch_top_level_error(&self, r: &FetchRequest, error: ErrorCode) -> FetchResponse {
        FetchResponse {
            throttle_time_ms: 0,
            error_code: error,
            topic_id: r.topic_id,
            partition: r.partition,
            partition_error_code: ErrorCode::NONE,
            high_watermark: -1,
            log_start_offset: -1,
            diverging_epoch: EpochEndOffset::NONE,
            current_leader: self.current_leader(),
            snapshot_id: SnapshotId::NONE,
            records: Records::Empty,
            node_endpoints: Vec::new(),
        }
    }

    /// An empty response carrying a partition-level error (and the responder's leader/epoch).
    pub(super) fn fetch_error_response(&self, r: &FetchRequest, error: ErrorCode) -> Response {
        Response::Fetch(self.fetch_response(r, error, Records::Empty, FetchPosition::Valid, None))
    }

    fn fetch_response(
        &self,
        r: &FetchRequest,
        error: ErrorCode,
        records: Records,
        position: FetchPosition,
        high_watermark: Option<i64>,
    ) -> FetchResponse {
        let (diverging_epoch, snapshot_id) = match position {
            FetchPosition::Valid => (EpochEndOffset::NONE, SnapshotId::NONE),
            FetchPosition::Diverging(d) => (d, SnapshotId::NONE),
            FetchPosition::Snapshot(s) => (EpochEndOffset::NONE, s),
        };
        FetchResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::NONE,
            topic_id: r.topic_id,
            partition: r.partition,
            partition_error_code: error,
            high_watermark: high_watermark.unwrap_or(-1),
            log_start_offset: self.log.start_offset,
            diverging_epoch,
            current_leader: self.current_leader(),
            snapshot_id,
            records,
            node_endpoints: self.leader_node_endpoints(),
        }
    }

    /// Kafka's `validateLeaderOnlyRequest`.
    pub(super) fn validate_leader_only_request(&self, epoch: i32) -> Option<ErrorCode> {
        let local = self.state.epoch();
        if epoch < local {
            Some(ErrorCode::FENCED_LEADER_EPOCH)
        } else if epoch > local {
            Some(ErrorCode::UNKNOWN_LEADER_EPOCH)
        } else if !matches!(self.state, QuorumState::Leader(_)) {
            Some(ErrorCode::NOT_LEADER_OR_FOLLOWER)
        } else if self.shutdown.is_some() {
            Some(ErrorCode::BROKER_NOT_AVAILABLE)
        } else {
            None
        }
    }

    pub(super) fn handle_fetch_request(&mut self, request_id: u64, r: FetchRequest) {
        if !self.cluster_id_matches(&r.cluster_id) {
            let response = self.fetch_top_level_error(&r, ErrorCode::INCONSISTENT_CLUSTER_ID);
            self.respond(request_id, Response::Fetch(response));
            return;
        }
        if r.topic_id != self.config.topic_id || r.partition != self.config.partition {
            let response = self.fetch_top_level_error(&r, ErrorCode::INVALID_REQUEST);
            self.respond(request_id, Response::Fetch(response));
            return;
        }
        if r.max_wait_ms < 0
            || r.fetch_offset < 0
            || r.last_fetched_epoch < 0
            || r.last_fetched_epoch > r.current_leader_epoch
        {
            let response = self.fetch_error_response(&r, ErrorCode::INVALID_REQUEST);
            self.respond(request_id, response);
            return;
        }
        let response = self.try_complete_fetch(&r);
        let answer_now = !response.partition_error_code.is_none()
            || response.records != Records::Empty
            || response.diverging_epoch.epoch >= 0
            || response.snapshot_id.epoch >= 0
            || r.max_wait_ms == 0
            || (r.high_watermark < response.high_watermark)
            || self.parked_count() >= MAX_PARKED_FETCHES;
        if answer_now {
            self.respond(request_id, Response::Fetch(response));
            return;
        }
        let deadline_ms = self.now_ms.saturating_add(r.max_wait_ms as u64);
        if let QuorumState::Leader(l) = &mut self.state {
            l.parked.push(ParkedFetch {
                request_id,
                request: r,
                deadline_ms,
            });
        }
    }

    fn parked_count(&self) -> usize {
        match &self.state {
            QuorumState::Leader(l) => l.parked.len(),
            _ => 0,
        }
    }

    /// Steps 3-5 of spec 3.6: epoch checks, position check, progress update, records.
    fn try_complete_fetch(&mut self, r: &FetchRequest) -> FetchResponse {
        if let Some(error) = self.validate_leader_only_request(r.current_leader_epoch) {
            return self.fetch_response(r, error, Records::Empty, FetchPosition::Valid, None);
        }
        let position = self
            .log
            .validate_fetch_position(r.fetch_offset, r.last_fetched_epoch);
        let mut records = Records::Empty;
        if position == FetchPosition::Valid {
            self.update_replica_progress(r);
            if r.fetch_offset < self.log.end_offset {
                let max_bytes = (r.max_bytes.max(0) as u32)
                    .min(self.config.max_batch_size_bytes as u32)
                    .max(1);
                records = Records::LogRange {
                    from_offset: r.fetch_offset,
                    max_bytes,
                    generation: self.log.generation,
                };
            }
        }
        let hw = match &self.state {
            QuorumState::Leader(l) => l.high_watermark,
            _ => None,
        };
        self.fetch_response(r, ErrorCode::NONE, records, position, hw)
    }

    /// Records a replica's fetch (voters feed the HW and check quorum; negative ids are ignored).
    /// A replica is a voter when its replica key (id and directory id) is in the voter set, as
    /// Kafka's `LeaderState` decides: the same id with another directory is an observer.
    fn update_replica_progress(&mut self, r: &FetchRequest) {
        let now = self.now_ms;
        let leader_end = self.log.end_offset;
        let key = ReplicaKey {
            id: r.replica_id,
            directory_id: r.replica_directory_id,
        };
        let is_voter = self.history.latest().contains(key);
        let QuorumState::Leader(l) = &mut self.state else {
            return;
        };
        if r.replica_id < 0 || r.replica_id == self.config.node_id {
            return;
        }
        let progress = if is_voter {
            l.fetched_voters.insert(r.replica_id);
            l.voters
                .get_mut(&r.replica_id)
                .expect("the leader tracks every other voter of the latest set")
        } else {
            // Observers are bounded: forget the ones silent for the expiry, then cap the count.
            if !l.observers.contains_key(&r.replica_id) && l.observers.len() >= MAX_OBSERVERS {
                l.observers.retain(|_, p| {
                    p.last_fetch_ms
                        .is_some_and(|t| now.saturating_sub(t) < OBSERVER_EXPIRY_MS)
                });
                if l.observers.len() >= MAX_OBSERVERS {
                    return;
                }
            }
            let progress = l.observers.entry(r.replica_id).or_default();
            if progress.directory_id != r.replica_directory_id {
                // Another replica (a new disk) under the same id: its progress starts over.
                *progress = ReplicaProgress::default();
            }
            progress
        };
        progress.directory_id = r.replica_directory_id;
        progress.record_fetch(r.fetch_offset, leader_end, now);
        if is_voter {
            self.maybe_reset_check_quorum();
            self.maybe_update_leader_high_watermark();
        }
    }

    /// Check quorum: a majority (leader included) fetched within the window.
    fn maybe_reset_check_quorum(&mut self) {
        let majority = self.voter_set().majority();
        // A leader that removed itself (until the change commits) does not count itself.
        let own = usize::from(self.is_voter());
        let timeout = self.check_quorum_timeout_ms();
        let now = self.now_ms;
        if let QuorumState::Leader(l) = &mut self.state {
            if l.fetched_voters.len() + own >= majority {
                l.fetched_voters.clear();
                if l.check_quorum_deadline_ms.is_some() {
                    l.check_quorum_deadline_ms = Some(now.saturating_add(timeout));
                }
            }
        }
    }

    /// Spec 5.1: the offset a majority of voters has durably, counting the leader only up to
    /// its flushed offset, adopted only past the epoch start and never backwards.
    pub(super) fn maybe_update_leader_high_watermark(&mut self) {
        let leader_is_voter = self.is_voter();
        let voter_count = self.voter_set().len();
        let flushed = self.log.flushed_end_offset;
        let QuorumState::Leader(l) = &mut self.state else {
            return;
        };
        if planted!(LeaderNeverCommits) {
            return;
        }
        // A scratch buffer kept on the node: this runs on every flush and every Fetch.
        let offsets = &mut self.hw_scratch;
        offsets.clear();
        offsets.extend(l.voters.values().map(|p| p.end_offset.unwrap_or(-1)));
        if leader_is_voter {
            let counted = if planted!(LeaderCountsUnflushed) {
                self.log.end_offset
            } else {
                flushed
            };
            offsets.push(counted);
        }
        debug_assert_eq!(offsets.len(), voter_count - usize::from(!leader_is_voter));
        offsets.sort_unstable_by(|a, b| b.cmp(a));
        let mut majority_index = voter_count / 2;
        if planted!(HighWatermarkFromFastest) {
            majority_index = 0;
        }
        if planted!(HighWatermarkFromMinority) {
            majority_index = majority_index.saturating_sub(1);
        }
        let Some(&candidate) = offsets.get(majority_index) else {
            return;
        };
        let improves = l.high_watermark.is_none_or(|hw| candidate > hw);
        if (candidate > l.epoch_start_offset || planted!(CommitBeforeOwnEpoch)) && improves {
            l.high_watermark = Some(candidate);
            self.set_high_watermark(candidate);
            self.wake_parked_fetches();
            self.voter_change_on_high_watermark(candidate);
        }
    }

    /// Monotonic update of the node-level high watermark.
    pub(super) fn set_high_watermark(&mut self, hw: i64) {
        if self.high_watermark.is_none_or(|old| hw > old) {
            self.high_watermark = Some(hw);
        }
    }

    /// Answers parked fetches that can complete: new data past their offset, or a fetcher whose
    /// high watermark is behind (Fetch v18).
    pub(super) fn wake_parked_fetches(&mut self) {
        let end = self.log.end_offset;
        let QuorumState::Leader(l) = &mut self.state else {
            return;
        };
        let hw = l.high_watermark.unwrap_or(-1);
        let (ready, waiting): (Vec<ParkedFetch>, Vec<ParkedFetch>) = std::mem::take(&mut l.parked)
            .into_iter()
            .partition(|p| p.request.fetch_offset < end || p.request.high_watermark < hw);
        l.parked = waiting;
        for parked in ready {
            let response = self.try_complete_fetch(&parked.request);
            self.respond(parked.request_id, Response::Fetch(response));
        }
    }

    /// Answers parked fetches whose `MaxWaitMs` passed.
    pub(super) fn expire_parked_fetches(&mut self) {
        let now = self.now_ms;
        let QuorumState::Leader(l) = &mut self.state else {
            return;
        };
        if l.parked.iter().all(|p| p.deadline_ms > now) {
            return;
        }
        let (ready, waiting): (Vec<ParkedFetch>, Vec<ParkedFetch>) = std::mem::take(&mut l.parked)
            .into_iter()
            .partition(|p| p.deadline_ms <= now);
        l.parked = waiting;
        for parked in ready {
            let response = self.try_complete_fetch(&parked.request);
            self.respond(parked.request_id, Response::Fetch(response));
        }
    }

    /// The log reports a new durable end: the leader may advance the HW, a follower may fetch.
    /// A report about another generation of the log is refused: one from before a truncation
    /// (the flush raced it) covers old bytes, not those written at the same offsets since; the
    /// log reports again after the truncation.
    pub(super) fn handle_log_flushed(&mut self, flushed_end_offset: i64, generation: u64) {
        if planted!(PanicOnFlush) {
            panic!("planted bug: panic on a flush");
        }
        debug_assert!(
            generation <= self.log.generation,
            "the log reports generation {generation}, the core started only {}",
            self.log.generation
        );
        if generation != self.log.generation {
            return;
        }
        let flushed = flushed_end_offset.min(self.log.end_offset);
        if flushed > self.log.flushed_end_offset {
            self.log.flushed_end_offset = flushed;
        }
        self.maybe_update_leader_high_watermark();
    }

    pub(super) fn handle_fetch_snapshot_request(
        &mut self,
        r: FetchSnapshotRequest,
    ) -> FetchSnapshotResponse {
        let mut response = FetchSnapshotResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::NONE,
            topic_name: r.topic_name.clone(),
            partition: r.partition,
            partition_error_code: ErrorCode::NONE,
            snapshot_id: r.snapshot_id,
            current_leader: self.current_leader(),
            size: -1,
            position: -1,
            unaligned_records: SnapshotRecords::Empty,
            node_endpoints: self.leader_node_endpoints(),
        };
        if !self.cluster_id_matches(&r.cluster_id) {
            response.error_code = ErrorCode::INCONSISTENT_CLUSTER_ID;
            return response;
        }
        if !self.api_matches_topic(&r.topic_name, r.partition) {
            response.partition_error_code = ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
            return response;
        }
        if let Some(error) = self.validate_leader_only_request(r.current_leader_epoch) {
            response.partition_error_code = error;
            return response;
        }
        if r.replica_id >= 0 {
            if let QuorumState::Leader(l) = &mut self.state {
                if l.voters.contains_key(&r.replica_id) {
                    l.fetched_voters.insert(r.replica_id);
                }
            }
            self.maybe_reset_check_quorum();
        }
        let bootstrap = SnapshotId {
            end_offset: 0,
            epoch: 0,
        };
        let snapshot = self
            .log
            .latest_snapshot
            .filter(|s| s.snapshot_id == r.snapshot_id && r.snapshot_id != bootstrap);
        let Some(snapshot) = snapshot else {
            response.partition_error_code = ErrorCode::SNAPSHOT_NOT_FOUND;
            return response;
        };
        if r.position < 0 || r.position >= snapshot.size_bytes {
            response.partition_error_code = ErrorCode::POSITION_OUT_OF_RANGE;
            return response;
        }
        let max_bytes = (r.max_bytes.max(1) as i64).min(self.config.max_batch_size_bytes as i64);
        let length = (snapshot.size_bytes - r.position).min(max_bytes);
        response.size = snapshot.size_bytes;
        response.position = r.position;
        response.unaligned_records = SnapshotRecords::FileRange {
            snapshot_id: snapshot.snapshot_id,
            position: r.position,
            length: length as u32,
        };
        response
    }
}
