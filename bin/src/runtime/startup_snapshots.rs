//! Snapshots at start: before the log is opened, the newest snapshot that passes every check is
//! loaded into the workload's state, and every newer one that fails (a torn or damaged file) is
//! deleted and reported, never loaded; `.part` files are left to the log's recovery, which
//! deletes them. After the log is opened, the snapshots it kept are weighed for retention and
//! the latest becomes the core's `RestoredState::latest_snapshot`.

use super::log_snapshots::{to_log_id, to_wire_id};
use kraft_driver::RetainedSnapshot;
use kraft_engine::SnapshotInfo;
use kraft_perf::WorkloadState;
use kraft_segment_log::{delete_snapshot, LogError, SnapshotId, SnapshotReader};
use std::path::{Path, PathBuf};

/// The state the latest valid snapshot holds (the empty state without one).
pub fn load_state(dir: &Path) -> Result<WorkloadState, LogError> {
    if !dir.exists() {
        return Ok(WorkloadState::default());
    }
    let latest = kraft_perf::load_latest_valid(dir)?;
    for (path, error) in &latest.rejected {
        tracing::error!(
            path = %path.display(),
            %error,
            "snapshot failed its checks at start: deleted, not loaded"
        );
    }
    Ok(match latest.loaded {
        Some((frozen, contents)) => {
            let state = contents.state;
            tracing::info!(snapshot = %frozen.id, %state, "workload state restored from the latest snapshot");
            state
        }
        None => WorkloadState::default(),
    })
}

/// Reports each partial snapshot (`.checkpoint.part`, left by a crash during a snapshot write
/// or download) that the log's recovery deleted: it was never loaded.
pub fn report_deleted_parts(removed_files: &[PathBuf]) {
    let parts = removed_files.iter().filter(|path| {
        path.file_name()
            .and_then(|name| name.to_str())
            .and_then(kraft_segment_log::parse_snapshot_file_name)
            .is_some_and(|(_, kind)| kind == kraft_segment_log::SnapshotFileKind::Partial)
    });
    for path in parts {
        tracing::warn!(path = %path.display(), "partial snapshot deleted at start, not loaded");
    }
}

/// The snapshots the opened log kept (`RecoveryReport::snapshots`, ascending), with their sizes
/// and header timestamps; one that fails its checks now is deleted and reported.
pub fn retained(dir: &Path, ids: &[SnapshotId]) -> Result<Vec<RetainedSnapshot>, LogError> {
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        match SnapshotReader::open(&id.path_in(dir)).and_then(|r| r.check(None)) {
            Ok(summary) => out.push(RetainedSnapshot {
                snapshot_id: to_wire_id(id),
                size_bytes: summary.size_bytes,
                last_contained_log_timestamp_ms: summary.last_contained_log_timestamp_ms,
            }),
            // The bootstrap checkpoint holds the initial voter set: never deleted for a failed
            // check (the node would come up without voters); the start fails instead.
            Err(error) if id.is_bootstrap() => return Err(error),
            Err(error) => {
                tracing::error!(snapshot = %id, %error, "snapshot failed its checks at start: deleted");
                delete_snapshot(dir, id)?;
            }
        }
    }
    Ok(out)
}

/// The core's view of the latest retained snapshot. The bootstrap checkpoint (0, 0) is not one
/// for the core (Kafka never serves or advertises it): its records reach the core as
/// `RestoredState::kraft_control`.
pub fn latest_info(retained: &[RetainedSnapshot]) -> Option<SnapshotInfo> {
    let latest = retained
        .last()
        .filter(|s| !to_log_id(s.snapshot_id).is_bootstrap());
    latest.map(|s| SnapshotInfo {
        snapshot_id: s.snapshot_id,
        size_bytes: s.size_bytes as i64,
    })
}
