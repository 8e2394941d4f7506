//! The log role's snapshot side: the frozen snapshots it keeps, retention over them and the
//! segments (kraft-driver's `plan_retention`, Kafka's `KafkaMetadataLog.maybeClean`), and a
//! follower's download: chunks written into a `.part`, checked whole, frozen, and the log reset
//! to it (KIP-630). Runs on the log executor, the only writer of the partition directory.

use super::error::LogRoleError;
use super::kraft_control;
use bytes::Bytes;
use kraft_driver::{plan_retention, RetainedSnapshot, RetentionLimits, SegmentInfo};
use kraft_engine::message::SnapshotId as WireSnapshotId;
use kraft_engine::{ControlEntry, SnapshotInfo};
use kraft_segment_log::{delete_snapshot, LogError, SegmentLog, SnapshotId, SnapshotWriter};
use std::path::PathBuf;

/// A download in progress: chunks arrive in order from position 0.
struct Download {
    id: SnapshotId,
    writer: SnapshotWriter,
    written: i64,
    /// Why the download cannot be loaded (a write failed, a chunk out of place).
    failed: Option<String>,
}

pub struct LogSnapshots {
    dir: PathBuf,
    /// Frozen snapshots, ascending ids.
    snapshots: Vec<RetainedSnapshot>,
    limits: RetentionLimits,
    download: Option<Download>,
}

pub fn to_log_id(id: WireSnapshotId) -> SnapshotId {
    SnapshotId {
        end_offset: id.end_offset,
        epoch: id.epoch,
    }
}

pub fn to_wire_id(id: SnapshotId) -> WireSnapshotId {
    WireSnapshotId {
        end_offset: id.end_offset,
        epoch: id.epoch,
    }
}

/// Wall-clock milliseconds: snapshot timestamps are batch timestamps (wall clock).
pub fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl LogSnapshots {
    /// No snapshots and no retention (tests of the links).
    #[cfg(test)]
    pub fn none(dir: PathBuf) -> Self {
        let limits = RetentionLimits {
            max_bytes: -1,
            max_ms: -1,
        };
        LogSnapshots::new(dir, Vec::new(), limits)
    }

    pub fn new(dir: PathBuf, snapshots: Vec<RetainedSnapshot>, limits: RetentionLimits) -> Self {
        assert!(snapshots
            .windows(2)
            .all(|w| w[0].snapshot_id < w[1].snapshot_id));
        LogSnapshots {
            dir,
            snapshots,
            limits,
            download: None,
        }
    }

    /// The state machine froze `snapshot` (the core knows it already).
    pub fn on_frozen(&mut self, snapshot: RetainedSnapshot) {
        let newer = self
            .snapshots
            .last()
            .is_none_or(|last| snapshot.snapshot_id > last.snapshot_id);
        if newer {
            self.snapshots.push(snapshot);
        }
    }

    /// Runs the retention policy; returns the new log start when it moved.
    pub fn run_retention(&mut self, log: &mut SegmentLog) -> Result<Option<i64>, LogRoleError> {
        let segments: Vec<SegmentInfo> = log
            .segment_sizes()
            .map(|(base_offset, size_bytes)| SegmentInfo {
                base_offset,
                size_bytes,
            })
            .collect();
        let now_ms = wall_clock_ms();
        let start = log.log_start_offset();
        let Some(plan) = plan_retention(start, &segments, &self.snapshots, self.limits, now_ms)
        else {
            return Ok(None);
        };
        let deleted = log
            .advance_log_start_offset(plan.log_start_offset)
            .map_err(LogRoleError::Retention)?;
        debug_assert_eq!(deleted, plan.segments_deleted);
        for snapshot in self.snapshots.drain(..plan.snapshots_deleted) {
            delete_snapshot(&self.dir, to_log_id(snapshot.snapshot_id))
                .map_err(LogRoleError::Retention)?;
        }
        tracing::info!(
            log_start_offset = plan.log_start_offset,
            segments_deleted = deleted,
            snapshots_deleted = plan.snapshots_deleted,
            "retention moved the log start"
        );
        Ok(Some(plan.log_start_offset))
    }

    /// `Output::WriteSnapshotChunk`: appends `bytes` at `position` of the download's `.part`.
    /// A failure is remembered and makes the load fail (the core then fetches again).
    pub fn write_chunk(&mut self, id: WireSnapshotId, position: i64, bytes: &Bytes) {
        let id = to_log_id(id);
        if position == 0 {
            // A new download; dropping an earlier writer deletes its `.part`.
            self.download = None;
            match SnapshotWriter::create(&self.dir, id) {
                Ok(writer) => {
                    self.download = Some(Download {
                        id,
                        writer,
                        written: 0,
                        failed: None,
                    })
                }
                Err(error) => {
                    tracing::warn!(%error, snapshot = %id, "cannot start a snapshot download")
                }
            }
        }
        let Some(download) = self.download.as_mut().filter(|d| d.id == id) else {
            tracing::warn!(snapshot = %id, position, "snapshot chunk without its download");
            return;
        };
        if download.failed.is_some() {
            return;
        }
        if position != download.written {
            download.failed = Some(format!(
                "chunk at position {position} where {} bytes were written",
                download.written
            ));
            return;
        }
        match download.writer.append_raw(bytes) {
            Ok(()) => download.written += bytes.len() as i64,
            Err(error) => download.failed = Some(error.to_string()),
        }
    }

    /// `Output::LoadSnapshot`: checks and freezes the download, then resets `log` to it at
    /// `generation`. `Ok(false)`: the download failed its checks (the `.part` is gone, the log
    /// untouched); an error: the log could not be reset (fatal).
    pub fn load(
        &mut self,
        log: &mut SegmentLog,
        snapshot: SnapshotInfo,
        generation: u64,
    ) -> Result<Option<Vec<ControlEntry>>, LogRoleError> {
        let id = to_log_id(snapshot.snapshot_id);
        let frozen = match self.download.take() {
            Some(d) if d.id == id && d.failed.is_none() => d
                .writer
                .freeze_checked(snapshot.size_bytes as u64)
                .map_err(|e| e.to_string()),
            Some(d) if d.id == id => Err(d.failed.expect("checked above")),
            _ => Err("no download of it in progress".to_string()),
        };
        if let Err(reason) = frozen {
            tracing::error!(snapshot = %id, %reason, "downloaded snapshot refused; fetching it again");
            return Ok(None);
        }
        // Its voter set (KIP-853), read before the log is reset to it: a record this node cannot
        // decode refuses the download like a failed check, and the old log stays.
        let path = id.path_in(&self.dir);
        let kraft_control = match kraft_control::snapshot_entries(&path, id.end_offset - 1) {
            Ok(entries) => entries,
            Err(error) => {
                tracing::error!(snapshot = %id, %error, "downloaded snapshot refused; fetching it again");
                delete_snapshot(&self.dir, id).map_err(|source| LogRoleError::SnapshotInstall {
                    end_offset: id.end_offset,
                    source,
                })?;
                return Ok(None);
            }
        };
        self.install(log, id, snapshot.size_bytes as u64, generation)?;
        tracing::info!(snapshot = %id, size_bytes = snapshot.size_bytes, "downloaded snapshot loaded; the log restarts at its end offset");
        Ok(Some(kraft_control))
    }

    /// The log becomes the frozen snapshot `id`: every segment deleted, start = end = its end
    /// offset, generation `generation`; every other snapshot deleted.
    fn install(
        &mut self,
        log: &mut SegmentLog,
        id: SnapshotId,
        size_bytes: u64,
        generation: u64,
    ) -> Result<(), LogRoleError> {
        let install_error = |source: LogError| LogRoleError::SnapshotInstall {
            end_offset: id.end_offset,
            source,
        };
        log.truncate_fully_and_start_at(id.end_offset)
            .map_err(install_error)?;
        log.start_generation(generation);
        let timestamp_ms = kraft_segment_log::SnapshotReader::open(&id.path_in(&self.dir))
            .and_then(|r| r.check(Some(size_bytes)))
            .map_err(install_error)?
            .last_contained_log_timestamp_ms;
        for old in std::mem::take(&mut self.snapshots) {
            let old_id = to_log_id(old.snapshot_id);
            if old_id != id {
                delete_snapshot(&self.dir, old_id).map_err(install_error)?;
            }
        }
        self.snapshots.push(RetainedSnapshot {
            snapshot_id: to_wire_id(id),
            size_bytes,
            last_contained_log_timestamp_ms: timestamp_ms,
        });
        Ok(())
    }
}
