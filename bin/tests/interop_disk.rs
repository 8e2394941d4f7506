//! Our files read by Apache Kafka's own code, and each kind's partition directory taken over by
//! the other kind: Kafka's `DumpLogSegments --deep-iteration` on every segment and index our node
//! writes (after a graceful stop and after `kill -9`), and the disk swap (a Rust node recovering
//! a directory Kafka's TestRaftServer wrote, and the reverse) with nothing committed lost.
//!
//! Runs against each Kafka version in `KRAFT_KAFKA_VERSIONS` (default: the newest 4.x); skips
//! loudly without Java or Maven, fails instead under `KRAFT_INTEROP_REQUIRED=1`.

mod support;

use kraft_interop::dump::Dump;
use kraft_interop::kafka::versions_under_test;
use kraft_interop::{Kafka, Kind, Quorum};
use std::time::Duration;
use support::{read_live_log, read_log, read_log_to, server_binary, StoredBatch};

const WORKLOAD: (u32, u32) = (2000, 200);
const CONFIG: &str = "controller.quorum.append.linger.ms=5";
const ELECTION: Duration = Duration::from_secs(30);
const COMMIT: Duration = Duration::from_secs(30);

/// Kafka's reader and ours agree on every batch of the directory, and Kafka has no complaint.
fn assert_kafka_reads(kafka: &Kafka, quorum: &Quorum, what: &str) -> Vec<StoredBatch> {
    let dir = quorum.members[0].partition_dir();
    let ours = read_log(&dir);
    let dump = Dump::run(kafka, &dir);
    dump.assert_clean(what);
    assert!(!ours.is_empty(), "{what}: no batches");
    let theirs: Vec<(i64, i64, i32, u32, usize)> = dump
        .batches
        .iter()
        .map(|b| (b.base_offset, b.last_offset, b.epoch, b.crc, b.size))
        .collect();
    let mine: Vec<(i64, i64, i32, u32, usize)> = ours
        .iter()
        .map(|b| {
            (
                b.base_offset,
                b.last_offset,
                b.epoch,
                b.crc(),
                b.bytes.len(),
            )
        })
        .collect();
    assert_eq!(mine, theirs, "{what}: Kafka's and our reader disagree");
    ours
}

/// Runs the member until it leads a new epoch and commits there; returns that epoch.
fn lead_and_commit(quorum: &mut Quorum, after_epoch: i32) -> i32 {
    quorum.members[0].start();
    let (_, epoch) = quorum.wait_leader_after(after_epoch, ELECTION);
    quorum.wait_committed_in_epoch(epoch, 20, COMMIT);
    epoch
}

#[test]
fn kafka_dump_log_segments_reads_our_segments_and_indexes() {
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate("interop_disk::dump", &version) else {
            return;
        };
        let mut quorum = Quorum::new(&kafka, server_binary(), &[Kind::Rust], CONFIG, WORKLOAD);
        let epoch = lead_and_commit(&mut quorum, 0);
        assert!(quorum.members[0].terminate().is_some_and(|s| s.success()));
        assert_kafka_reads(&kafka, &quorum, "a gracefully stopped Rust node's log");

        lead_and_commit(&mut quorum, epoch);
        quorum.members[0].kill();
        let batches = assert_kafka_reads(&kafka, &quorum, "a Rust node's log after kill -9");
        assert!(batches.iter().any(|b| b.epoch > epoch));
    }
}

/// Stops the single member one way, then starts it as `next` on the same directory: everything
/// the previous run wrote must still be there, byte for byte, in the new leader's log.
fn swap(quorum: &mut Quorum, epoch: i32, graceful: bool, next: Kind) -> i32 {
    let from = quorum.members[0].kind;
    let dir = quorum.members[0].partition_dir();
    let before = if graceful {
        let status = quorum.members[0].terminate();
        assert!(status.is_some(), "{from} node did not stop on SIGTERM");
        read_log(&dir)
    } else {
        // Whatever was whole in the files before the kill stays whole after it; only an append
        // the kill cut may end the log.
        let written = log_end(&read_live_log(&dir));
        quorum.members[0].kill();
        read_log_to(&dir, written)
    };
    assert!(!before.is_empty());
    if graceful {
        assert_checkpoint_files(quorum, &before, from);
    }
    quorum.members[0].kind = next;
    let new_epoch = lead_and_commit(quorum, epoch);
    let after = read_log_to(&dir, log_end(&before));
    assert!(
        after.len() > before.len() && after[..before.len()] == before[..],
        "{next} node lost or changed batches of the directory a {from} node wrote \
         (graceful stop: {graceful}): {} batches before, {} after\n{}",
        before.len(),
        after.len(),
        quorum.diagnostics()
    );
    new_epoch
}

fn log_end(log: &[StoredBatch]) -> i64 {
    log.last().map_or(0, |b| b.last_offset + 1)
}

/// The leader-epoch-checkpoint a stopped node left lists exactly the epochs of its log with the
/// offset where each starts, in Kafka's format, and partition.metadata names the test topic id.
fn assert_checkpoint_files(quorum: &Quorum, log: &[StoredBatch], writer: Kind) {
    let dir = quorum.members[0].partition_dir();
    let mut expected = String::new();
    let mut starts: Vec<(i32, i64)> = Vec::new();
    for b in log {
        if starts.last().is_none_or(|(e, _)| *e != b.epoch) {
            starts.push((b.epoch, b.base_offset));
        }
    }
    expected.push_str(&format!("0\n{}\n", starts.len()));
    for (epoch, offset) in &starts {
        expected.push_str(&format!("{epoch} {offset}\n"));
    }
    let checkpoint = std::fs::read_to_string(dir.join("leader-epoch-checkpoint")).unwrap();
    assert_eq!(
        checkpoint, expected,
        "leader-epoch-checkpoint a {writer} node left"
    );
    let metadata = std::fs::read_to_string(dir.join("partition.metadata")).unwrap();
    assert_eq!(
        metadata, "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAg",
        "partition.metadata a {writer} node left"
    );
}

#[test]
fn disk_swap_between_kinds_keeps_every_batch() {
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate("interop_disk::swap", &version) else {
            return;
        };
        let mut quorum = Quorum::new(&kafka, server_binary(), &[Kind::Rust], CONFIG, WORKLOAD);
        let mut epoch = lead_and_commit(&mut quorum, 0);
        for (graceful, next) in [
            (true, Kind::Java),
            (true, Kind::Rust),
            (false, Kind::Java),
            (false, Kind::Rust),
        ] {
            epoch = swap(&mut quorum, epoch, graceful, next);
        }
        quorum.members[0].terminate();
        assert_kafka_reads(&kafka, &quorum, "a directory both kinds wrote");
    }
}
