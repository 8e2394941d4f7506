//! `cargo bench -p kraft-benches --bench e2e`: three real `kraft-server` processes on loopback,
//! 256-byte records, fsync on. Measures, in one run:
//!
//! - the floor: write+fdatasync p99 on the log disk and loopback TCP round trip p99;
//! - commit latency percentiles at fixed offered rates (1,000 / 10,000 / 50,000 records/s);
//! - the maximum sustained committed records/s and MB/s (offered far above capacity);
//! - the leader's resident memory over a longer run at 10,000 records/s;
//! - bytes copied per record byte on the leader's Fetch path (from the server's own counters);
//!
//! and prints `commit p99 / floor` at 10,000 records/s. A plot of the percentile distributions
//! and a Markdown table go to `target/kraft-bench/`.
//!
//! Knobs (environment): KRAFT_BENCH_DIR (log disk, default the temp dir), KRAFT_BENCH_SECS
//! (seconds per rate, default 20), KRAFT_BENCH_RATES (default 1000,10000,50000),
//! KRAFT_BENCH_MAX_RATE (default 3000000, 0 = skip), KRAFT_BENCH_MEMORY_SECS (default 60, 0 = skip),
//! KRAFT_BENCH_LINGER_MS (controller.quorum.append.linger.ms, default 0).

use kraft_benches::rust_quorum::{
    binaries, env_list, env_u64, run_quorum, workspace_root, RECORD_SIZE,
};
use kraft_benches::{floor, plot, print};
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let base = std::env::var_os("KRAFT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let secs = env_u64("KRAFT_BENCH_SECS", 20);
    let max_rate = env_u64("KRAFT_BENCH_MAX_RATE", 3_000_000);
    let memory_secs = env_u64("KRAFT_BENCH_MEMORY_SECS", 60);
    let linger_ms = env_u64("KRAFT_BENCH_LINGER_MS", 0);
    let rates = env_list("KRAFT_BENCH_RATES", &[1000, 10_000, 50_000]);
    let (server_bin, quorum_bin) = binaries();
    let bins = (server_bin.as_path(), quorum_bin.as_path());
    let out_dir = workspace_root().join("target/kraft-bench");
    std::fs::create_dir_all(&out_dir).expect("output dir");

    println!("end-to-end benchmark: 3 processes on loopback, {RECORD_SIZE} B records, fsync on, linger {linger_ms} ms, logs in {}", base.display());
    let fsync = floor::write_fdatasync(&base, 256, 2000).expect("fdatasync floor");
    let rtt = floor::loopback_rtt(256, 20_000).expect("loopback floor");
    // The disk's bandwidth, not the page cache's: see `sequential_write_direct`.
    let seq =
        floor::sequential_write_direct(&base, 512 << 20, 1 << 20).expect("sequential write floor");
    println!("{}", print::line("floor: write+fdatasync 256 B", &fsync));
    println!(
        "{}",
        print::line("floor: loopback TCP round trip 256 B", &rtt)
    );
    let floor_ms = (fsync.value_at_quantile(0.99) + rtt.value_at_quantile(0.99)) as f64 / 1e6;
    // Three replicas on one disk fsync at the same time; this is the floor they actually share.
    let shared = floor::concurrent_write_fdatasync(&base, 256, 1000, 3).expect("shared-disk floor");
    println!(
        "{}",
        print::line("floor: 3 concurrent write+fdatasync 256 B", &shared)
    );
    let shared_floor_ms =
        (shared.value_at_quantile(0.99) + rtt.value_at_quantile(0.99)) as f64 / 1e6;
    println!("shared-disk floor = 3-writer fdatasync p99 + RTT p99 = {shared_floor_ms:.3} ms");
    println!(
        "floor = fdatasync p99 + RTT p99 = {floor_ms:.3} ms; sequential write (O_DIRECT, 1 MiB writes) {:.1} MB/s",
        seq / 1e6
    );

    let mut table = String::new();
    let _ = writeln!(table, "| offered records/s | committed records/s | MB/s | p50 ms | p75 ms | p99 ms | p99.9 ms | max ms | p99 / floor |");
    let _ = writeln!(table, "|---|---|---|---|---|---|---|---|---|");
    let mut curves = Vec::new();
    let mut copies = (0u64, 0u64);
    for &rate in &rates {
        let Some(run) = run_quorum(bins, &base, rate, secs, linger_ms) else {
            continue;
        };
        let s = run.summary;
        let ratio = s.p99_ms / floor_ms;
        println!(
            "offered {rate:>7} records/s (leader node {}): committed {:>9.1} records/s {:>6.2} MB/s, commit latency p50 {:.3} p75 {:.3} p99 {:.3} p99.9 {:.3} max {:.3} ms, p99/floor {ratio:.2}{}",
            run.leader, s.records_per_s, s.mb_per_s, s.p50_ms, s.p75_ms, s.p99_ms, s.p999_ms, s.max_ms,
            if s.offered_met { "" } else { " (offered rate NOT met)" }
        );
        let _ = writeln!(
            table,
            "| {rate} | {:.0} | {:.2} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {ratio:.2} |",
            s.records_per_s, s.mb_per_s, s.p50_ms, s.p75_ms, s.p99_ms, s.p999_ms, s.max_ms
        );
        if rate == 10_000 {
            println!("commit p99 / floor at 10,000 records/s = {ratio:.2} (goal <= 1.5)");
            println!(
                "commit p99 / shared-disk floor at 10,000 records/s = {:.2}",
                s.p99_ms / shared_floor_ms
            );
        }
        copies.0 += run.fetch_bytes_sent;
        copies.1 += run.fetch_bytes_copied;
        curves.push((format!("{rate} records/s"), run.hgrm));
    }
    let max_run = if max_rate > 0 {
        run_quorum(bins, &base, max_rate, secs, linger_ms)
    } else {
        None
    };
    if let Some(run) = max_run {
        let s = run.summary;
        let share = s.mb_per_s * 1e6 / (seq / 3.0);
        println!(
            "maximum sustained (leader node {}): {:.0} committed records/s, {:.2} MB/s = {:.0}% of sequential write bandwidth / 3 (goal >= 60%)",
            run.leader,
            s.records_per_s,
            s.mb_per_s,
            share * 100.0
        );
        let _ = writeln!(table, "| max ({max_rate} offered) | {:.0} | {:.2} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | |", s.records_per_s, s.mb_per_s, s.p50_ms, s.p75_ms, s.p99_ms, s.p999_ms, s.max_ms);
    }
    if memory_secs > 0 {
        if let Some(run) = run_quorum(bins, &base, 10_000, memory_secs, linger_ms) {
            let mib = |k: u64| k as f64 / 1024.0;
            let anon: Vec<String> = run
                .rss_kib
                .iter()
                .map(|k| format!("{:.1}", mib(k.0)))
                .collect();
            let file: Vec<String> = run
                .rss_kib
                .iter()
                .map(|k| format!("{:.1}", mib(k.1)))
                .collect();
            println!(
                "leader RssAnon (heap, stacks) every 5 s at 10,000 records/s (MiB): {}",
                anon.join(" ")
            );
            println!(
                "leader RssFile (mapped log pages) every 5 s (MiB): {}",
                file.join(" ")
            );
            if let (Some(second), Some(last)) = (run.rss_kib.get(1), run.rss_kib.last()) {
                println!(
                    "RssAnon growth from 10 s to {memory_secs} s: {:+.2} MiB (RssFile {:+.1} MiB: the log itself)",
                    mib(last.0) - mib(second.0),
                    mib(last.1) - mib(second.1)
                );
            }
        }
    }
    if copies.0 > 0 {
        println!(
            "leader Fetch path: {} record bytes sent, {} copied in user space = {:.3} copies per record byte (plus the kernel's socket copy)",
            copies.0,
            copies.1,
            copies.1 as f64 / copies.0 as f64
        );
    }
    let svg = plot::percentile_svg(
        "Commit latency, 3 nodes on loopback, 256 B records, fsync on",
        &curves,
    );
    std::fs::write(out_dir.join("commit-latency.svg"), svg).expect("write plot");
    std::fs::write(out_dir.join("e2e.md"), &table).expect("write table");
    println!("\n{table}");
    println!("plot: {}", out_dir.join("commit-latency.svg").display());
}
