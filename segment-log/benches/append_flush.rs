//! Append + flush latency of the segment log next to a raw `write` + `fdatasync` loop on the same
//! disk, in the same run, alternating every iteration so disk noise hits both alike.
//!
//! `cargo bench -p kraft-segment-log` (env: `BENCH_ITERS`, default 2000 per size and variant;
//! `BENCH_DIR`, default the system temp dir).

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::Instant;

use hdrhistogram::Histogram;
use kraft_records::{BatchBuilder, Uuid};
use kraft_segment_log::{LogConfig, SegmentLog};

/// Smoke-test iterations (`cargo test --benches`) and warm-up length.
const ROUND: usize = 100;

fn batch_of_size(target_bytes: usize) -> Vec<u8> {
    // One record whose value pads the batch to exactly `target_bytes`.
    for value_len in (0..target_bytes).rev() {
        let mut buf = Vec::new();
        let mut b = BatchBuilder::new(&mut buf, 0, 1, 1_700_000_000_000);
        b.append_value(&vec![0xab; value_len]);
        b.finish();
        if buf.len() <= target_bytes {
            return buf;
        }
    }
    unreachable!("a batch always fits some size")
}

fn fdatasync(file: &std::fs::File) {
    // SAFETY: owned descriptor.
    let rc = unsafe { libc::fdatasync(file.as_raw_fd()) };
    assert_eq!(
        rc,
        0,
        "fdatasync failed: {}",
        std::io::Error::last_os_error()
    );
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("histogram bounds")
}

fn us(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn print_row(batch_len: usize, name: &str, h: &Histogram<u64>) {
    println!(
        "batch {:>5} B  {:<30} p50 {:>8.1} us  p99 {:>8.1} us  p99.9 {:>8.1} us  (n={})",
        batch_len,
        name,
        us(h, 0.5),
        us(h, 0.99),
        us(h, 0.999),
        h.len()
    );
}

fn run_size(dir: &Path, batch_bytes: usize, iters: usize, warmup: usize) {
    let batch = batch_of_size(batch_bytes);
    let log_dir = dir.join(format!("log-{batch_bytes}"));
    let config = LogConfig {
        topic_id: Uuid::from_parts(0, 2),
        ..LogConfig::default()
    };
    let (mut log, _) = SegmentLog::open(&log_dir, config).expect("open log");
    let raw_path = dir.join(format!("raw-{batch_bytes}.bin"));
    let mut raw = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&raw_path)
        .expect("open raw file");

    let (mut h_log, mut h_raw, mut h_append) = (histogram(), histogram(), histogram());
    // Warm-up: page tables, first extent allocations, journal.
    for _ in 0..warmup {
        log.append(&batch).unwrap();
        log.flush().unwrap();
        raw.write_all(&batch).unwrap();
        fdatasync(&raw);
    }
    // Alternate every iteration: the shared disk's latency drifts in bursts, and both loops
    // must see the same weather.
    for _ in 0..iters {
        let t = Instant::now();
        log.append(&batch).unwrap();
        let appended = t.elapsed();
        log.flush().unwrap();
        h_log.record(t.elapsed().as_nanos() as u64).unwrap();
        h_append.record(appended.as_nanos() as u64).unwrap();

        let t = Instant::now();
        raw.write_all(&batch).unwrap();
        fdatasync(&raw);
        h_raw.record(t.elapsed().as_nanos() as u64).unwrap();
    }
    print_row(batch.len(), "segment-log append+flush", &h_log);
    print_row(batch.len(), "raw write+fdatasync", &h_raw);
    print_row(batch.len(), "(segment-log append alone)", &h_append);
    println!(
        "batch {:>5} B  ratio log/raw                  p50 {:>8.2}     p99 {:>8.2}     p99.9 {:>8.2}",
        batch.len(),
        us(&h_log, 0.5) / us(&h_raw, 0.5),
        us(&h_log, 0.99) / us(&h_raw, 0.99),
        us(&h_log, 0.999) / us(&h_raw, 0.999),
    );
    drop(log);
    let _ = std::fs::remove_dir_all(&log_dir);
    let _ = std::fs::remove_file(&raw_path);
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run a short smoke.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let iters: usize = std::env::var("BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if smoke { ROUND } else { 2000 });
    let iters = iters.max(ROUND);
    let base = std::env::var_os("BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::Builder::new()
        .prefix("segment-log-bench")
        .tempdir_in(&base)
        .expect("bench dir");
    println!(
        "segment-log append+flush vs raw write+fdatasync, {} iterations each, dir {}",
        iters,
        dir.path().display()
    );
    let warmup = if smoke { 10 } else { ROUND };
    for size in [256, 4096] {
        run_size(dir.path(), size, iters, warmup);
    }
}
