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

use kraft_benches::process::{
    free_ports, member_placement, poll, quorum_status, write_config, Server,
};
use kraft_benches::summary::{parse_hgrm, parse_summary, Summary};
use kraft_benches::{floor, plot, print};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const RECORD_SIZE: &str = "256";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Builds the release binaries (a no-op when they are fresh) and returns their paths.
fn binaries() -> (PathBuf, PathBuf) {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-q", "-p", "kraft-bin"])
        .current_dir(&root)
        .status()
        .expect("run cargo build");
    assert!(
        status.success(),
        "cargo build --release -p kraft-bin failed"
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    (
        target.join("release/kraft-server"),
        target.join("release/kraft-quorum"),
    )
}

struct RunResult {
    /// The elected leader's node id; member N runs on CPU (N-1) % CPUs, so on two CPUs the leader
    /// of node 2 has a CPU to itself and nodes 1 and 3 share the other.
    leader: i32,
    summary: Summary,
    hgrm: Vec<(f64, f64)>,
    rss_kib: Vec<(u64, u64)>,
    fetch_bytes_sent: u64,
    fetch_bytes_copied: u64,
}

/// `(RssAnon, RssFile)` in KiB: the heap and stacks, and the mapped file pages. The segment is a
/// shared file mapping, so its page cache counts in RssFile and grows with the log; memory the
/// process itself holds is RssAnon.
fn rss_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("RssAnon:")?, field("RssFile:")?))
}

fn stat_from_stderr(stderr: &str, key: &str) -> u64 {
    stderr
        .lines()
        .filter(|l| l.contains("network stats"))
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{key}="))?.parse::<u64>().ok())
        })
        .sum()
}

/// Runs a 3-node quorum at `rate` records/s for `secs` seconds and returns the leader's figures.
fn run_quorum(
    server_bin: &Path,
    quorum_bin: &Path,
    base: &Path,
    rate: u64,
    secs: u64,
    linger_ms: u64,
) -> Option<RunResult> {
    let dir = tempfile::tempdir_in(base).expect("temp dir");
    let ports = free_ports(3);
    let ids: Vec<(i32, u16)> = (1..=3).map(|i| (i, ports[(i - 1) as usize])).collect();
    let addrs: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let extra = format!("controller.quorum.append.linger.ms={linger_ms}");
    let rate_arg = rate.to_string();
    let args = [
        "--throughput",
        rate_arg.as_str(),
        "--record-size",
        RECORD_SIZE,
    ];
    let mut servers: Vec<Server> = ids
        .iter()
        .map(|&(id, _)| {
            let log_dir = dir.path().join(format!("node-{id}"));
            let extra = format!("{extra}\n{}", member_placement());
            let config = write_config(dir.path(), id, &ids, &log_dir, &extra);
            Server::start(server_bin, id, &config, &log_dir, &args)
        })
        .collect();
    let Some((leader, _, _)) = poll(Duration::from_secs(15), || {
        quorum_status(quorum_bin, &addrs).filter(|s| s.0 > 0)
    }) else {
        eprintln!("no leader elected at {rate} records/s");
        return None;
    };
    let leader_ix = (leader - 1) as usize;
    let pid = servers[leader_ix].pid()?;
    let start = Instant::now();
    let mut rss = Vec::new();
    while start.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(
            Duration::from_secs(5).min(Duration::from_secs(secs).saturating_sub(start.elapsed())),
        );
        if let Some(kib) = rss_kib(pid) {
            rss.push(kib);
        }
    }
    // Stop every node at once; the leader prints its summary and writes its histogram.
    for server in servers.iter() {
        if let Some(pid) = server.pid() {
            // SAFETY: signalling our own child.
            unsafe {
                libc::kill(pid as i32, libc::SIGTERM);
            }
        }
    }
    for server in servers.iter_mut() {
        server.terminate(Duration::from_secs(15));
    }
    let leader_server = &servers[leader_ix];
    let summary = leader_server
        .stdout_lines()
        .iter()
        .find_map(|l| l.strip_prefix("Summary: ").and_then(parse_summary));
    let Some(summary) = summary else {
        eprintln!(
            "the leader printed no summary at {rate} records/s:\n{}",
            leader_server.stderr()
        );
        return None;
    };
    let hgrm = std::fs::read_to_string(leader_server.partition_dir().join("commit-latency.hgrm"))
        .map(|t| parse_hgrm(&t))
        .unwrap_or_default();
    let stderr = leader_server.stderr();
    Some(RunResult {
        leader,
        summary,
        hgrm,
        rss_kib: rss,
        fetch_bytes_sent: stat_from_stderr(&stderr, "fetch_record_bytes_sent"),
        fetch_bytes_copied: stat_from_stderr(&stderr, "fetch_record_bytes_copied"),
    })
}

fn main() {
    let base = std::env::var_os("KRAFT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let secs = env_u64("KRAFT_BENCH_SECS", 20);
    let max_rate = env_u64("KRAFT_BENCH_MAX_RATE", 3_000_000);
    let memory_secs = env_u64("KRAFT_BENCH_MEMORY_SECS", 60);
    let linger_ms = env_u64("KRAFT_BENCH_LINGER_MS", 0);
    let rates: Vec<u64> = std::env::var("KRAFT_BENCH_RATES")
        .ok()
        .map(|v| v.split(',').filter_map(|r| r.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1000, 10_000, 50_000]);
    let (server_bin, quorum_bin) = binaries();
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
        let Some(run) = run_quorum(&server_bin, &quorum_bin, &base, rate, secs, linger_ms) else {
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
        run_quorum(&server_bin, &quorum_bin, &base, max_rate, secs, linger_ms)
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
        if let Some(run) = run_quorum(
            &server_bin,
            &quorum_bin,
            &base,
            10_000,
            memory_secs,
            linger_ms,
        ) {
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
