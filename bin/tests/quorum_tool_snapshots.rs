//! Issue 15 item 5 on a real process: `kraft-quorum describe --status` shows the leader's log
//! start offset and latest snapshot, learnt from one non-replica Fetch.
//!
//! A single node with tiny segments (1 MiB), retention (2 MiB) and a snapshot every 512 KiB runs
//! under load until its log no longer starts at 0. The tool's two lines are then checked against
//! the node's directory, read just before and just after the tool ran (a run counts only when
//! the directory's segments and checkpoints did not change in between):
//! - LogStartOffset > 0 and at or above the first segment's base offset (what `kraft-log-tool
//!   dump` prints as the log start: the server's own log start moves to a snapshot's end offset,
//!   which may lie inside that segment);
//! - LatestSnapshot names the newest `<end offset>-<epoch>.checkpoint` file, and the log start
//!   is at or below its end offset.

mod support;

use std::path::Path;
use std::time::Duration;
use support::snapshot_state::dir_listing;
use support::{free_ports, poll, write_config};

/// Attempts to find a window in which the directory did not change while the tool ran.
const MAX_ATTEMPTS: usize = 40;

const SIZES: &str = "metadata.log.segment.min.bytes=1048576\nmetadata.log.segment.bytes=1048576\n\
                     metadata.max.retention.bytes=2097152\n\
                     metadata.log.max.record.bytes.between.snapshots=524288\n\
                     controller.quorum.append.linger.ms=0\n";

/// The directory's segment base offsets and `(end offset, epoch)` of its checkpoints, ascending.
#[derive(Debug, PartialEq, Eq)]
struct Files {
    segments: Vec<i64>,
    snapshots: Vec<(i64, i32)>,
}

fn files(dir: &Path) -> Files {
    let mut out = Files {
        segments: Vec::new(),
        snapshots: Vec::new(),
    };
    for (name, _) in dir_listing(dir) {
        if let Some(base) = name.strip_suffix(".log").and_then(|s| s.parse().ok()) {
            out.segments.push(base);
        }
        let snapshot = name.strip_suffix(".checkpoint").and_then(|stem| {
            let (offset, epoch) = stem.split_once('-')?;
            Some((offset.parse().ok()?, epoch.parse().ok()?))
        });
        out.snapshots.extend(snapshot);
    }
    out.segments.sort();
    out.snapshots.sort();
    out
}

fn field<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no '{key}' line in:\n{text}"))
        .trim()
}

#[test]
fn describe_status_shows_the_leaders_log_start_and_latest_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports(1)[0];
    let log_dir = dir.path().join("node-0");
    let config = write_config(dir.path(), 0, &[(0, port)], &log_dir, SIZES);
    // 2,000 records of 256 B per second: a snapshot about every second, retention passed in
    // a few seconds.
    let mut server = support::start(
        0,
        &config,
        &log_dir,
        &["--throughput", "2000", "--record-size", "256"],
    );
    let partition_dir = server.partition_dir();
    let started = poll(Duration::from_secs(60), || {
        (files(&partition_dir).segments.first().copied()? > 0).then_some(())
    });
    assert!(
        started.is_some(),
        "the log still starts at 0 after 60 s\n{}",
        server.stderr()
    );
    let servers = vec![format!("127.0.0.1:{port}")];
    let mut steady = None;
    for _ in 0..MAX_ATTEMPTS {
        let before = files(&partition_dir);
        let text = support::describe(&servers, "--status");
        if files(&partition_dir) == before {
            steady = text.map(|text| (before, text));
            if steady.is_some() {
                break;
            }
        }
    }
    let (files, text) = steady.unwrap_or_else(|| {
        panic!(
            "no describe --status while the directory stood still in {MAX_ATTEMPTS} attempts\n{}",
            server.stderr()
        )
    });
    let keys: Vec<&str> = text.lines().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "ClusterId",
            "LeaderId",
            "LeaderEpoch",
            "HighWatermark",
            "MaxFollowerLag",
            "MaxFollowerLagTimeMs",
            "CurrentVoters",
            "CurrentObservers",
            "LogStartOffset",
            "LatestSnapshot",
            "KRaftVersion"
        ],
        "{text}"
    );
    let log_start: i64 = field(&text, "LogStartOffset:")
        .parse()
        .unwrap_or_else(|_| panic!("LogStartOffset is not a number:\n{text}"));
    let first_segment = files.segments[0];
    assert!(log_start > 0, "{text}");
    assert!(
        first_segment <= log_start,
        "log start {log_start} below the first segment {first_segment}: {files:?}\n{text}"
    );
    let &(end_offset, epoch) = files.snapshots.last().expect("a checkpoint file");
    assert_eq!(
        field(&text, "LatestSnapshot:"),
        format!("EndOffset {end_offset}, Epoch {epoch}"),
        "{files:?}"
    );
    assert!(log_start <= end_offset, "{files:?}\n{text}");
    let status = server.terminate(Duration::from_secs(15));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        server.stderr()
    );
}
