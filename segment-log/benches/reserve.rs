//! What reserving a segment's blocks costs an append + fdatasync, three ways on the same disk in
//! the same run, alternating every iteration so disk noise hits all alike:
//!
//! - `fallocate(0)`: blocks reserved and the file extended (the segment log's layout before
//!   Kafka interop: zeros after the last batch, which Kafka's readers reject after a `kill -9`);
//! - `fallocate(KEEP_SIZE)`: blocks reserved, the file's length still ends at the last write
//!   (the layout now: every fdatasync also commits the new length);
//! - no reservation: the file grows with each write.
//!
//! `cargo bench -p kraft-segment-log --bench reserve` (env: `BENCH_ITERS`, default 2000 per size;
//! `BENCH_DIR`, default the system temp dir).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::Instant;

use hdrhistogram::Histogram;

const RESERVE_BYTES: i64 = 64 << 20;
/// Smoke-test iterations (`cargo test --benches`) and warm-up length.
const ROUND: usize = 100;

struct Variant {
    name: &'static str,
    file: File,
    position: u64,
    latency: Histogram<u64>,
}

fn open(dir: &Path, name: &'static str, mode: Option<i32>) -> Variant {
    let path = dir.join(format!("reserve-{name}.bin"));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .expect("open bench file");
    let _ = std::fs::remove_file(&path);
    if let Some(mode) = mode {
        // SAFETY: plain syscall on an owned descriptor.
        let rc = unsafe { libc::fallocate(file.as_raw_fd(), mode, 0, RESERVE_BYTES) };
        assert_eq!(rc, 0, "fallocate: {}", std::io::Error::last_os_error());
    }
    Variant {
        name,
        file,
        position: 0,
        latency: Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("bounds"),
    }
}

fn append_and_sync(v: &mut Variant, bytes: &[u8], record: bool) {
    let start = Instant::now();
    v.file.write_all_at(bytes, v.position).expect("pwrite");
    // SAFETY: owned descriptor.
    let rc = unsafe { libc::fdatasync(v.file.as_raw_fd()) };
    assert_eq!(rc, 0, "fdatasync: {}", std::io::Error::last_os_error());
    v.position += bytes.len() as u64;
    if record {
        v.latency
            .record(start.elapsed().as_nanos() as u64)
            .expect("record");
    }
}

fn us(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn run_size(dir: &Path, write_bytes: usize, iters: usize) {
    let mut variants = [
        open(dir, "fallocate(0)", Some(0)),
        open(dir, "fallocate(KEEP_SIZE)", Some(libc::FALLOC_FL_KEEP_SIZE)),
        open(dir, "no reservation", None),
    ];
    let bytes = vec![0xab; write_bytes];
    let writes_fit = (RESERVE_BYTES as usize / write_bytes).min(iters + ROUND);
    for i in 0..writes_fit {
        for v in &mut variants {
            append_and_sync(v, &bytes, i >= ROUND.min(writes_fit / 2));
        }
    }
    let base = &variants[0].latency;
    for v in &variants {
        let h = &v.latency;
        println!(
            "write {write_bytes:>5} B  {:<22} p50 {:>7.1} us  p99 {:>7.1} us  p99.9 {:>7.1} us  \
             ratio to fallocate(0): p50 {:.2} p99 {:.2} p99.9 {:.2}  (n={})",
            v.name,
            us(h, 0.5),
            us(h, 0.99),
            us(h, 0.999),
            us(h, 0.5) / us(base, 0.5),
            us(h, 0.99) / us(base, 0.99),
            us(h, 0.999) / us(base, 0.999),
            h.len()
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run a short smoke.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let iters: usize = std::env::var("BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if smoke { ROUND } else { 2000 })
        .max(ROUND);
    let dir = std::env::var_os("BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    println!(
        "segment block reservation: append + fdatasync, {iters} iterations each, dir {}",
        dir.display()
    );
    for size in [256, 4096, 65536] {
        run_size(&dir, size, iters);
    }
}
