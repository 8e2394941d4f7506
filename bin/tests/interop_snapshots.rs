//! Issue 15 with Apache Kafka as the judge: a Kafka `TestRaftServer` voter that falls behind our
//! leader's log start downloads our snapshot (KIP-630 FetchSnapshot) and keeps following, and
//! Kafka's `DumpLogSegments` reads the snapshot files running `kraft-server`s froze and the one
//! the Java member downloaded.
//!
//! Quorum: member 1 is Java, members 2 and 3 are ours with 4 MiB segments, 8 MiB retention and
//! a snapshot every 2 MiB committed. The Rust voters elect a leader before the Java member starts,
//! so the leader is ours. The Java member follows, is stopped (SIGTERM), the leader runs until its
//! log starts past the Java member's log end, and the Java member restarts: its Fetch is answered
//! with our SnapshotId, it downloads the snapshot, its log restarts at the snapshot's end offset
//! and it reaches our high watermark. Judged from the Java member's files (a `.checkpoint` named
//! as one of our leader's snapshots and byte-identical to it, its log starting at or after it)
//! and from Kafka's own log line for a completed download from our leader. The Java member's
//! first start usually finds our leader's log start already past 0 and downloads a snapshot too.
//!
//! TestRaftServer never takes snapshots of its own (its listener never calls `createSnapshot`),
//! so the reverse (our follower downloading a Java leader's snapshot) cannot happen with it.
//!
//! Runs against each Kafka version in `KRAFT_KAFKA_VERSIONS` (default: the newest 4.x); skips
//! loudly without Java or Maven, fails instead under `KRAFT_INTEROP_REQUIRED=1`.

mod support;

use kraft_interop::kafka::versions_under_test;
use kraft_interop::spec_reader::parse_segment;
use kraft_interop::{dump, Kafka, Kind, Quorum};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::{poll, quorum_status, server_binary};

/// 10,000 records of 256 B per second: 2.5 MB/s, 8 MiB of retention passed in a few seconds.
const WORKLOAD: (u32, u32) = (10_000, 256);
const JAVA: i32 = 1;
const ELECTION: Duration = Duration::from_secs(30);
/// Time for the leader's log start to pass the stopped Java member's log end.
const RETENTION_PASSED: Duration = Duration::from_secs(40);
/// Time for the restarted Java member to download the snapshot and reach the high watermark.
const CATCH_UP: Duration = Duration::from_secs(40);

fn rust_config() -> String {
    "controller.quorum.append.linger.ms=5\nmetadata.log.segment.min.bytes=1048576\n\
     metadata.log.segment.bytes=4194304\nmetadata.max.retention.bytes=8388608\n\
     metadata.log.max.record.bytes.between.snapshots=2097152\n"
        .to_string()
}

/// The Java member keeps Kafka's defaults for segments, retention and snapshots.
const JAVA_CONFIG: &str = "controller.quorum.append.linger.ms=5\n";

/// A snapshot id as its file is named: (end offset, epoch).
type SnapshotId = (i64, i32);

/// `<end offset:020>-<epoch:010>.checkpoint` files of a partition directory.
fn snapshots(dir: &Path) -> BTreeMap<SnapshotId, PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let (offset, epoch) = name.strip_suffix(".checkpoint")?.split_once('-')?;
            Some(((offset.parse().ok()?, epoch.parse().ok()?), e.path()))
        })
        .collect()
}

/// The log start offset: the lowest base offset of the directory's segment files.
fn log_start(dir: &Path) -> Option<i64> {
    segment_bases(dir).into_iter().min()
}

/// The log end offset of a running member, from its newest segment alone: a member resetting
/// its log to a downloaded snapshot (Kafka renames the old segments to `.deleted` after creating
/// the new one) briefly holds segments that do not continue each other.
fn log_end(dir: &Path) -> i64 {
    let Some(base) = segment_bases(dir).into_iter().max() else {
        return 0;
    };
    let Ok(bytes) = std::fs::read(dir.join(format!("{base:020}.log"))) else {
        return 0;
    };
    // The end of a running member's active segment may be an append in progress.
    let scan = parse_segment(&bytes, base);
    scan.batches.last().map_or(base, |b| b.last_offset + 1)
}

fn segment_bases(dir: &Path) -> Vec<i64> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".log")?.parse::<i64>().ok()
        })
        .collect()
}

/// Every snapshot the leader froze while the test watched, hard-linked (or copied) into `keep`
/// so that retention deleting it from the leader's directory does not lose it.
struct Kept {
    dir: tempfile::TempDir,
    files: BTreeMap<SnapshotId, PathBuf>,
}

impl Kept {
    fn new() -> Kept {
        Kept {
            dir: tempfile::tempdir().expect("tempdir"),
            files: BTreeMap::new(),
        }
    }

    fn collect(&mut self, leader_dir: &Path) {
        for (id, path) in snapshots(leader_dir) {
            if self.files.contains_key(&id) {
                continue;
            }
            let kept = self.dir.path().join(path.file_name().expect("a file name"));
            let linked =
                std::fs::hard_link(&path, &kept).is_ok() || std::fs::copy(&path, &kept).is_ok();
            if linked {
                self.files.insert(id, kept);
            }
        }
    }
}

/// The Java member's snapshot that is one of the leader's and ends past `old_end` (the Java
/// member's log end when it stopped), once the Java member's log starts at or after it.
fn downloaded(java_dir: &Path, kept: &Kept, old_end: i64) -> Option<(SnapshotId, PathBuf)> {
    let start = log_start(java_dir)?;
    snapshots(java_dir)
        .into_iter()
        .rev()
        .find(|(id, _)| kept.files.contains_key(id) && id.0 > old_end && id.0 <= start)
}

/// Polls `until` for at most `CATCH_UP`; panics with every member's log tail when the Java
/// member exits first (e.g. Kafka refusing a snapshot it loads) or the time passes.
fn wait_java<T>(q: &mut Quorum, what: &str, mut until: impl FnMut(&mut Quorum) -> Option<T>) -> T {
    let mut exited = false;
    let found = poll(CATCH_UP, || {
        if !q.member(JAVA).is_running() {
            exited = true;
            return Some(None);
        }
        until(q).map(Some)
    });
    match found.flatten() {
        Some(value) => value,
        None => panic!(
            "waiting for {what}: {}\n{}",
            if exited {
                "the Java member exited"
            } else {
                "timed out"
            },
            q.diagnostics()
        ),
    }
}

#[test]
fn a_java_follower_downloads_our_snapshot_and_kafka_reads_our_snapshot_files() {
    for version in versions_under_test() {
        let test = "interop_snapshots";
        let Some(kafka) = Kafka::locate(test, &version) else {
            return;
        };
        run(&kafka);
    }
}

fn run(kafka: &Kafka) {
    eprintln!("Kafka {}: Java voter 1, Rust voters 2 and 3", kafka.version);
    let mut run = Run::start(kafka);
    let (java_end, leader_start) = run.java_falls_behind();
    let (id, java_copy) = run.java_downloads(java_end, leader_start);
    run.java_reaches_high_watermark(id);
    run.q.stop_all();
    let follower = if run.leader == 2 { 3 } else { 2 };
    let follower_dir = run.q.member(follower).partition_dir();
    let mut files = vec![(format!("Java member's download {id:?}"), java_copy)];
    for (who, dir) in [
        ("leader", &run.leader_dir),
        ("Rust follower", &follower_dir),
    ] {
        let (id, path) = snapshots(dir)
            .into_iter()
            .next_back()
            .unwrap_or_else(|| panic!("no snapshot in our {who}'s {}", dir.display()));
        files.push((format!("our {who}'s snapshot {id:?}"), path));
    }
    for (what, path) in &files {
        assert_kafka_reads_snapshot(kafka, what, path);
    }
}

/// One run's quorum, our leader and what the test keeps of its snapshots.
struct Run {
    q: Quorum,
    leader: i32,
    epoch: i32,
    rust_addrs: Vec<String>,
    leader_dir: PathBuf,
    java_dir: PathBuf,
    kept: Kept,
}

impl Run {
    /// Our voters elect our leader, then the Java member starts and follows it.
    fn start(kafka: &Kafka) -> Run {
        let kinds = [Kind::Java, Kind::Rust, Kind::Rust];
        let mut q = Quorum::new(kafka, server_binary(), &kinds, &rust_config(), WORKLOAD);
        q.member(JAVA).extra_config = JAVA_CONFIG.to_string();
        q.member(2).start();
        q.member(3).start();
        let (leader, epoch) = q.wait_leader_after(0, ELECTION);
        assert_eq!(q.kind_of(leader), Kind::Rust, "only our voters run");
        let rust_addrs: Vec<String> = [2, 3]
            .map(|id| format!("127.0.0.1:{}", q.member(id).port))
            .to_vec();
        let leader_dir = q.member(leader).partition_dir();
        let java_dir = q.member(JAVA).partition_dir();
        let mut kept = Kept::new();
        let (_, _, before) = poll(Duration::from_secs(10), || quorum_status(&rust_addrs))
            .expect("DescribeQuorum of our members");
        q.member(JAVA).start();
        // Past what was committed before it started, by way of a fetch from our leader.
        wait_java(&mut q, "the Java member to follow our leader", |_| {
            kept.collect(&leader_dir);
            (log_end(&java_dir) > before + 20_000).then_some(())
        });
        Run {
            q,
            leader,
            epoch,
            rust_addrs,
            leader_dir,
            java_dir,
            kept,
        }
    }

    /// Stops the Java member and waits until our leader's log starts past its log end; returns
    /// (the Java member's log end, our leader's log start).
    fn java_falls_behind(&mut self) -> (i64, i64) {
        let status = self.q.member(JAVA).terminate();
        // The JVM runs its shutdown hooks and exits with 143 (128 + SIGTERM).
        assert!(
            status.is_some_and(|s| s.code() == Some(143)),
            "the Java member did not stop cleanly on SIGTERM: {status:?}\n{}",
            self.q.diagnostics()
        );
        let java_end = log_end(&self.java_dir);
        eprintln!(
            "Java member followed from log start {:?} (snapshots {:?}) to log end {java_end}",
            log_start(&self.java_dir),
            snapshots(&self.java_dir).keys().collect::<Vec<_>>()
        );
        let passed = poll(RETENTION_PASSED, || {
            self.kept.collect(&self.leader_dir);
            log_start(&self.leader_dir).filter(|start| *start > java_end + 10_000)
        });
        let Some(leader_start) = passed else {
            panic!(
                "our leader's log never started past the Java member's log end {java_end}\n{}",
                self.q.diagnostics()
            );
        };
        eprintln!(
            "Java member stopped at log end {java_end}; leader {}'s log starts at {leader_start}",
            self.leader
        );
        (java_end, leader_start)
    }

    /// Restarts the Java member and waits until it downloaded one of our leader's snapshots past
    /// its old log end and reset its log to it; returns the snapshot's id and the Java copy.
    fn java_downloads(&mut self, java_end: i64, leader_start: i64) -> (SnapshotId, PathBuf) {
        self.q.member(JAVA).start();
        let (kept, leader_dir, java_dir) = (&mut self.kept, &self.leader_dir, &self.java_dir);
        let leader = self.leader;
        let (id, java_copy) = wait_java(
            &mut self.q,
            "the Java member to hold one of our leader's snapshots with its log starting at or \
             after it",
            |q| {
                kept.collect(leader_dir);
                let (id, path) = downloaded(java_dir, kept, java_end)?;
                // Kafka's own account (logged once the log is reset): KafkaRaftClient downloaded
                // it from our leader and truncated its log fully to it. (Kafka 4.0 prints
                // `OffsetAndEpoch(offset=X, epoch=E)`, 4.4 `OffsetAndEpoch[...]`.)
                let snapshot = "after downloading snapshot OffsetAndEpoch";
                let fields = format!("offset={}, epoch={}", id.0, id.1);
                let from = format!("from leader {leader}");
                let stderr = q.member(JAVA).stderr();
                let logged = stderr
                    .lines()
                    .any(|l| l.contains(snapshot) && l.contains(&fields) && l.contains(&from));
                logged.then_some((id, path))
            },
        );
        assert!(
            id.0 >= leader_start && id.0 > java_end,
            "the Java member's snapshot {id:?} is not one above its old log end {java_end}"
        );
        assert_eq!(
            std::fs::read(&java_copy).expect("the Java member's snapshot"),
            std::fs::read(&self.kept.files[&id]).expect("our leader's snapshot"),
            "the snapshot the Java member holds differs from our leader's {id:?}"
        );
        (id, java_copy)
    }

    /// The Java member's log reaches our high watermark and our leader still leads.
    fn java_reaches_high_watermark(&mut self, id: SnapshotId) {
        let rust_addrs = &self.rust_addrs;
        let (_, _, high_watermark) = poll(Duration::from_secs(10), || quorum_status(rust_addrs))
            .expect("DescribeQuorum of our members");
        let java_dir = &self.java_dir;
        wait_java(
            &mut self.q,
            "the Java member's log to reach our high watermark",
            |_| (log_end(java_dir) >= high_watermark).then_some(()),
        );
        let java_start = log_start(java_dir).expect("the Java member's log");
        eprintln!(
            "Java member downloaded snapshot {id:?}, its log starts at {java_start} and reached \
             our high watermark {high_watermark}"
        );
        let still = self.q.leader();
        assert_eq!(
            still,
            Some((self.leader, self.epoch)),
            "the Java member's return disturbed our leader\n{}",
            self.q.diagnostics()
        );
    }
}

/// Kafka's `DumpLogSegments --deep-iteration --files <snapshot>` exits 0, names the snapshot id,
/// decodes the header and footer control records and lists exactly the batches our spec reader
/// finds (offsets, epochs, CRCs, sizes), every one valid, with no complaint.
fn assert_kafka_reads_snapshot(kafka: &Kafka, what: &str, path: &Path) {
    let name = path.file_name().expect("a file name").to_string_lossy();
    let (offset, epoch) = name
        .strip_suffix(".checkpoint")
        .and_then(|s| s.split_once('-'))
        .expect("a snapshot file name");
    let end_offset = offset.parse::<i64>().expect("offset");
    let epoch = epoch.parse::<i32>().expect("epoch");
    let (dumped, stdout) = dump::Dump::run_snapshot(kafka, path, end_offset, epoch, what);
    for control in [
        "SnapshotHeader {\"version\":0",
        "SnapshotFooter {\"version\":0}",
    ] {
        assert!(
            stdout.contains(control),
            "{what}: Kafka did not decode {control}:\n{}",
            stdout
        );
    }
    dumped.assert_clean(&format!("{what}\nstdout:\n{}", stdout));
    let bytes = std::fs::read(path).expect("snapshot bytes");
    let scan = parse_segment(&bytes, 0);
    assert!(scan.fault.is_none(), "{what}: {:?}", scan.fault);
    let ours: Vec<dump::DumpedBatch> = scan
        .batches
        .iter()
        .map(|b| dump::DumpedBatch {
            base_offset: b.base_offset,
            last_offset: b.last_offset,
            epoch: b.epoch,
            crc: u32::from_be_bytes(bytes[b.position + 17..b.position + 21].try_into().unwrap()),
            size: b.size,
        })
        .collect();
    assert_eq!(ours.len(), 3, "{what}: header, state, footer");
    assert_eq!(
        dumped.batches, ours,
        "{what}: Kafka's DumpLogSegments lists other batches than our spec reader"
    );
    eprintln!(
        "{what}: Kafka's DumpLogSegments reads its {} batches",
        ours.len()
    );
}
