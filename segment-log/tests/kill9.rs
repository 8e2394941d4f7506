//! Process crash: a writer process is killed with SIGKILL at random points while appending and
//! flushing; reopening must keep every offset it reported flushed, with valid batches only.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{partition_dir, spec_reader, XorShift};
use kraft_interop::process::line_channel;
use kraft_segment_log::{LogConfig, SegmentLog, Uuid};

/// What the `append-loop` writer uses.
fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 64 * 1024,
        topic_id: Uuid::from_parts(0, 2),
        ..LogConfig::default()
    }
}

#[test]
fn sigkill_during_appends_loses_nothing_flushed() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let mut rng = XorShift(0x9e37);
    let mut last_flushed = 0i64;
    for round in 0..4 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kraft-log-tool"))
            .args(["append-loop", dir.to_str().unwrap(), "100000", "300"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let wanted_lines = 5 + rng.below(40);
        let deadline = Instant::now() + Duration::from_secs(20);
        // Read on a thread of its own: a writer that hangs cannot block the test past `deadline`.
        let lines = line_channel(stdout);
        let mut seen = 0;
        while seen < wanted_lines {
            // Timed out or the writer exited: kill at whatever point it reached.
            let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            else {
                break;
            };
            let offset: i64 = line.strip_prefix("flushed ").unwrap().parse().unwrap();
            assert!(
                offset >= last_flushed,
                "round {round}: flushed offsets never go back"
            );
            last_flushed = offset;
            seen += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            seen > 0,
            "round {round}: the writer printed no `flushed` line within 20 s"
        );
        let (log, report) = SegmentLog::open(&dir, config()).unwrap();
        let log_end_offset = log.log_end_offset();
        assert!(
            log_end_offset >= last_flushed,
            "round {round}: log end {log_end_offset} below reported flush {last_flushed} ({report:?})"
        );
        drop(log);
        // The independent reader agrees with the recovered log, batch for batch.
        let batches = spec_reader::read_partition(&dir);
        assert_eq!(batches.last().unwrap().last_offset + 1, log_end_offset);
    }
}
