//! The fetcher's side of FetchSnapshot (59): a follower or observer whose Fetch was answered
//! with a snapshot id downloads that snapshot from the leader in chunks, then has the runtime
//! load it (Kafka's `handleFetchSnapshotResponse`).

use super::snapshot::PendingLoad;
use super::RaftNode;
use crate::election::SnapshotInfo;
use crate::io::Output;
use crate::message::{
    ErrorCode, FetchSnapshotRequest, FetchSnapshotResponse, SnapshotId, SnapshotRecords,
};
use crate::state::{QuorumState, SnapshotDownload};

/// Why a FetchSnapshot chunk was refused: the download starts over from a Fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChunkRefusal {
    /// The leader no longer has the snapshot (retention) or does not know it.
    NotFound,
    /// The leader's answer does not continue this download (id, position or size differ).
    Mismatch,
}

impl RaftNode {
    /// A Fetch was answered with `snapshot_id`: fetch that snapshot next. Returns false for an
    /// invalid id (handled like a failed fetch: backoff).
    pub(super) fn start_snapshot_download(&mut self, snapshot_id: SnapshotId) -> bool {
        if snapshot_id.epoch < 0 || snapshot_id.end_offset < 0 {
            return false;
        }
        let QuorumState::Follower(f) = &mut self.state else {
            return false;
        };
        debug_assert!(f.snapshot_download.is_none(), "no Fetch while downloading");
        f.snapshot_download = Some(SnapshotDownload {
            snapshot_id,
            position: 0,
            size_bytes: -1,
        });
        true
    }

    /// The next FetchSnapshot of the download in progress.
    pub(super) fn fetch_snapshot_request(
        &self,
        download: SnapshotDownload,
    ) -> FetchSnapshotRequest {
        FetchSnapshotRequest {
            cluster_id: Some(self.config.cluster_id.clone()),
            replica_id: self.config.node_id,
            max_bytes: self.config.fetch_snapshot_max_bytes as i32,
            topic_name: self.config.topic_name.clone(),
            partition: self.config.partition,
            current_leader_epoch: self.state.epoch(),
            snapshot_id: download.snapshot_id,
            position: download.position,
            replica_directory_id: self.config.directory_id,
        }
    }

    pub(super) fn handle_fetch_snapshot_response(
        &mut self,
        from: i32,
        r: FetchSnapshotResponse,
    ) -> bool {
        if let Some(handled) = self.handle_named_response(
            &r.topic_name,
            r.partition,
            r.partition_error_code,
            r.current_leader.leader_id,
            r.current_leader.leader_epoch,
        ) {
            return handled;
        }
        let download = match &self.state {
            QuorumState::Follower(f)
                if f.epoch == r.current_leader.leader_epoch && f.leader_id == from =>
            {
                f.snapshot_download
            }
            _ => None,
        };
        let Some(download) = download else {
            // An answer for a download this state no longer runs (a transition dropped it).
            return true;
        };
        match self.take_snapshot_chunk(download, &r) {
            Ok(()) => {}
            Err(ChunkRefusal::NotFound) => self.restart_snapshot_download(),
            Err(ChunkRefusal::Mismatch) => {
                self.restart_snapshot_download();
                return false;
            }
        }
        if !r.partition_error_code.is_none()
            && r.partition_error_code != ErrorCode::SNAPSHOT_NOT_FOUND
            && r.partition_error_code != ErrorCode::POSITION_OUT_OF_RANGE
        {
            return false; // an unexpected error: retry the same chunk after the backoff
        }
        let now_ms = self.now_ms;
        let deadline_ms = now_ms.saturating_add(self.config.fetch_timeout_ms);
        if let QuorumState::Follower(f) = &mut self.state {
            f.fetch_deadline_ms = deadline_ms;
            f.has_fetched = true;
            f.last_fetch_ms = now_ms;
        }
        true
    }

    /// Checks one chunk against the download (Kafka: same id, position = bytes written, then
    /// append; complete at size) and writes it; the last one hands the snapshot to the runtime.
    /// SNAPSHOT_NOT_FOUND and POSITION_OUT_OF_RANGE start over; an answer that does not continue
    /// this download (Kafka throws) starts over too: a bad peer never stops this node.
    fn take_snapshot_chunk(
        &mut self,
        download: SnapshotDownload,
        r: &FetchSnapshotResponse,
    ) -> Result<(), ChunkRefusal> {
        let error = r.partition_error_code;
        if error == ErrorCode::SNAPSHOT_NOT_FOUND
            || error == ErrorCode::POSITION_OUT_OF_RANGE
            || r.snapshot_id.end_offset < 0
            || r.snapshot_id.epoch < 0
        {
            return Err(ChunkRefusal::NotFound);
        }
        if !error.is_none() {
            return Ok(());
        }
        let SnapshotRecords::Bytes(bytes) = &r.unaligned_records else {
            return Err(ChunkRefusal::Mismatch);
        };
        let length = bytes.len() as i64;
        let continues = r.snapshot_id == download.snapshot_id
            && r.position == download.position
            && r.size > 0
            && (download.size_bytes < 0 || download.size_bytes == r.size)
            && length > 0
            && r.position + length <= r.size;
        if !continues {
            return Err(ChunkRefusal::Mismatch);
        }
        self.emit(Output::WriteSnapshotChunk {
            snapshot_id: download.snapshot_id,
            position: download.position,
            bytes: bytes.clone(),
        });
        let position = download.position + length;
        let next = (position < r.size).then_some(SnapshotDownload {
            position,
            size_bytes: r.size,
            ..download
        });
        if let QuorumState::Follower(f) = &mut self.state {
            f.snapshot_download = next;
        }
        if next.is_none() {
            self.load_downloaded_snapshot(SnapshotInfo {
                snapshot_id: download.snapshot_id,
                size_bytes: r.size,
            });
        }
        Ok(())
    }

    /// The whole snapshot is written: the runtime checks it and replaces the log with it.
    fn load_downloaded_snapshot(&mut self, snapshot: SnapshotInfo) {
        debug_assert!(self.snapshot_load.is_none(), "one load at a time");
        debug_assert!(
            matches!(self.state, QuorumState::Follower(_)),
            "a leader never loads a snapshot"
        );
        let generation = self.log.generation + 1;
        self.snapshot_load = Some(PendingLoad {
            snapshot,
            generation,
        });
        self.emit(Output::LoadSnapshot {
            snapshot,
            generation,
        });
    }

    /// Back to Fetch: the leader answers with the snapshot it has now.
    fn restart_snapshot_download(&mut self) {
        if let QuorumState::Follower(f) = &mut self.state {
            f.snapshot_download = None;
        }
    }
}
