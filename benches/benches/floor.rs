//! `cargo bench -p kraft-benches --bench floor`: the hardware floor of this machine.
//!
//! KRAFT_BENCH_DIR chooses the disk (default: the system temp dir, where the sample configs keep
//! their logs).

use kraft_benches::{floor, print};
use std::path::PathBuf;

fn main() {
    let dir = std::env::var_os("KRAFT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    println!("floor benchmarks on {}", dir.display());
    for size in [256usize, 4096] {
        let h = floor::write_fdatasync(&dir, size, 2000).expect("write+fdatasync");
        println!("{}", print::line(&format!("write+fdatasync {size} B"), &h));
    }
    let rtt = floor::loopback_rtt(256, 20_000).expect("loopback");
    println!("{}", print::line("loopback TCP round trip 256 B", &rtt));
    let bw = floor::memcpy_bandwidth(64 << 20, 20);
    println!("{:<40} {:.2} GB/s", "memcpy bandwidth (64 MiB)", bw / 1e9);
    let seq =
        floor::sequential_write_bandwidth(&dir, 256 << 20, 1 << 20).expect("sequential write");
    println!(
        "{:<40} {:.1} MB/s",
        "sequential write + fdatasync (256 MiB)",
        seq / 1e6
    );
    let direct =
        floor::sequential_write_direct(&dir, 512 << 20, 1 << 20).expect("sequential write");
    println!(
        "{:<40} {:.1} MB/s",
        "sequential write O_DIRECT (512 MiB)",
        direct / 1e6
    );
}
