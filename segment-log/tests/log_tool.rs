//! `kraft-log-tool dump` shows the log start offset and the snapshots (ids, sizes, checks).

mod common;

use common::{open_flushed_log, partition_dir};
use kraft_records::{build_snapshot_footer_batch, build_snapshot_header_batch};
use kraft_segment_log::{SnapshotId, SnapshotWriter};
use std::process::Command;

#[test]
fn dump_shows_the_log_start_and_the_snapshots() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let mut log = open_flushed_log(&dir, 80);
    let second = log.segment_sizes().nth(1).unwrap().0;
    let id = SnapshotId {
        end_offset: second + 1,
        epoch: 1,
    };
    let mut bytes = Vec::new();
    build_snapshot_header_batch(&mut bytes, 1, 5, 77);
    build_snapshot_footer_batch(&mut bytes, 1, 1, 5);
    let mut writer = SnapshotWriter::create(&dir, id).unwrap();
    writer.append(&bytes).unwrap();
    writer.freeze().unwrap();
    // A damaged snapshot is listed as such.
    let bad = SnapshotId {
        end_offset: second + 2,
        epoch: 1,
    };
    std::fs::write(bad.path_in(&dir), &bytes[..bytes.len() - 1]).unwrap();
    log.advance_log_start_offset(id.end_offset).unwrap();
    log.close().unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_kraft-log-tool"))
        .arg("dump")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with(&format!("log start offset {second}\nsnapshots: 2\n")),
        "{stdout}"
    );
    let line = format!(
        "  snapshot {} end offset {} epoch 1 ({} bytes, 2 batches, last contained log timestamp 77)",
        id.file_name(),
        id.end_offset,
        bytes.len()
    );
    assert!(stdout.contains(&line), "no `{line}` in:\n{stdout}");
    assert!(
        stdout.contains(&format!("  snapshot {} INVALID", bad.file_name())),
        "{stdout}"
    );
}
