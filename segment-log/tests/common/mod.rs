//! Test helpers: batch construction (through kraft-records, the producer side) and an independent
//! reader of Kafka's on-disk formats written from the spec alone (`kraft_interop`'s spec reader,
//! which shares no code with the writer or with kraft-records; the end-to-end tests judge the
//! server's files with the same reader).
// Each test file compiles this module on its own and uses a different part of it.
#![allow(dead_code, unused_imports)]

/// The spec reader's segment, index and checkpoint parsers and its partition reader in one path.
pub mod spec_reader {
    pub use kraft_interop::spec_log::read_partition;
    pub use kraft_interop::spec_reader::*;
}

use std::path::{Path, PathBuf};

use kraft_records::{BatchBuilder, Uuid};
use kraft_segment_log::{LogConfig, SegmentLog};

/// A small deterministic generator so tests are reproducible without extra crates.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// One data batch of `records` records with `value_len`-byte values derived from `seed`.
pub fn data_batch(
    base_offset: i64,
    epoch: i32,
    records: usize,
    value_len: usize,
    seed: u64,
) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut builder = BatchBuilder::new(
        &mut buf,
        base_offset,
        epoch,
        1_700_000_000_000 + seed as i64,
    );
    let mut rng = XorShift(seed | 1);
    for _ in 0..records {
        let value: Vec<u8> = (0..value_len).map(|_| rng.next_u64() as u8).collect();
        builder.append_value(&value);
    }
    builder.finish();
    buf
}

/// A scratch directory in memory (tmpfs) when the machine has one: the fault tests check
/// recovery logic over hundreds of reopen cycles, and fsync on a real disk would dominate their
/// run time. Durability tests use `tempfile::tempdir()` on the real disk instead.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::Builder::new()
            .prefix("segment-log-test")
            .tempdir_in(shm)
        {
            return dir;
        }
    }
    tempfile::tempdir().unwrap()
}

pub fn small_config() -> LogConfig {
    LogConfig {
        segment_bytes: 4096,
        index_interval_bytes: 256,
        preallocate: true,
        topic_id: Uuid::from_parts(0, 2),
    }
}

/// A log of `small_config` in `dir` holding `batch_count` one-record epoch-1 batches (100-byte
/// values; the log assigns the offsets), flushed: 80 of them span several segments, so retention and snapshots
/// have whole segments below them.
pub fn open_flushed_log(dir: &Path, batch_count: u64) -> SegmentLog {
    let (mut log, _) = SegmentLog::open(dir, small_config()).unwrap();
    for i in 0..batch_count {
        log.append(&data_batch(0, 1, 1, 100, 1 + i)).unwrap();
    }
    log.flush().unwrap();
    log
}

pub fn partition_dir(root: &Path) -> PathBuf {
    root.join("__raft_performance_test-0")
}

/// Copies every regular file of `from` into a new directory `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Segment `.log` files of a directory, ascending.
pub use kraft_interop::spec_log::segment_files;
