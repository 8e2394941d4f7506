//! One run of three `kraft-server` processes on loopback at an offered rate: the measurement of
//! `--bench e2e`, shared with `--bench e2e_kafka` so that both report the same figures.

use crate::committed::{committed_in_epoch, wall_clock_ms, Committed};
use crate::process::{free_ports, member_placement, poll, quorum_status, write_config, Server};
use crate::summary::{parse_hgrm, parse_summary, Summary};
use kraft_interop::kafka::run_bounded;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Size of every record, in both benches and on both kinds of quorum.
pub const RECORD_SIZE: u32 = 256;

pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A comma-separated list of numbers from the environment; `default` when unset.
pub fn env_list(name: &str, default: &[u64]) -> Vec<u64> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|r| r.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Builds the release binaries (a no-op when they are fresh) and returns the paths of
/// `kraft-server` and `kraft-quorum`.
pub fn binaries() -> (PathBuf, PathBuf) {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--release", "-q", "-p", "kraft-bin"])
        .current_dir(&root);
    // A full release build on a busy 2-core machine takes minutes; 30 bounds a stuck one.
    let timeout = Duration::from_secs(30 * 60);
    let out = run_bounded(build, timeout);
    assert!(
        out.success,
        "cargo build --release -p kraft-bin failed (or ran past {timeout:?}):\n{}",
        out.stderr
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    (
        target.join("release/kraft-server"),
        target.join("release/kraft-quorum"),
    )
}

pub struct RunResult {
    /// The elected leader's node id.
    pub leader: i32,
    pub summary: Summary,
    pub hgrm: Vec<(f64, f64)>,
    pub rss_kib: Vec<(u64, u64)>,
    pub fetch_bytes_sent: u64,
    pub fetch_bytes_copied: u64,
    /// The leader's epoch as read from the logs, the same way as for Kafka's quorum.
    pub committed: Option<Committed>,
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

/// Runs a 3-node quorum at `rate` records/s for `secs` seconds (from the election) and returns
/// the leader's figures: its exit summary covers its whole leadership.
pub fn run_quorum(
    (server_bin, quorum_bin): (&Path, &Path),
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
    let (rate_arg, size_arg) = (rate.to_string(), RECORD_SIZE.to_string());
    let args = ["--throughput", &rate_arg, "--record-size", &size_arg];
    let mut servers: Vec<Server> = ids
        .iter()
        .map(|&(id, _)| {
            let log_dir = dir.path().join(format!("node-{id}"));
            let extra = format!("{extra}\n{}", member_placement());
            let config = write_config(dir.path(), id, &ids, &log_dir, &extra);
            Server::start(server_bin, id, &config, &log_dir, &args)
        })
        .collect();
    let Some((leader, epoch, _)) = poll(Duration::from_secs(15), || {
        quorum_status(quorum_bin, &addrs).filter(|s| s.0 > 0)
    }) else {
        eprintln!("no leader elected at {rate} records/s");
        return None;
    };
    let leader_ix = (leader - 1) as usize;
    let pid = servers[leader_ix].pid()?;
    let rss = sample_rss(pid, Duration::from_secs(secs));
    let end_ms = wall_clock_ms();
    stop_together(&mut servers);
    let dirs: Vec<PathBuf> = servers.iter().map(Server::partition_dir).collect();
    let mut result = leader_result(&servers[leader_ix], leader, rate, rss)?;
    result.committed = committed_in_epoch(&dirs[leader_ix], &dirs, epoch, end_ms);
    Some(result)
}

/// Waits `run` and samples the process's memory every 5 s meanwhile.
fn sample_rss(pid: u32, run: Duration) -> Vec<(u64, u64)> {
    let start = Instant::now();
    let mut rss = Vec::new();
    while start.elapsed() < run {
        std::thread::sleep(Duration::from_secs(5).min(run.saturating_sub(start.elapsed())));
        if let Some(kib) = rss_kib(pid) {
            rss.push(kib);
        }
    }
    rss
}

/// Stops every node at once; the leader prints its summary and writes its histogram.
fn stop_together(servers: &mut [Server]) {
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
}

fn leader_result(
    leader_server: &Server,
    leader: i32,
    rate: u64,
    rss_kib: Vec<(u64, u64)>,
) -> Option<RunResult> {
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
        rss_kib,
        fetch_bytes_sent: stat_from_stderr(&stderr, "fetch_record_bytes_sent"),
        fetch_bytes_copied: stat_from_stderr(&stderr, "fetch_record_bytes_copied"),
        committed: None,
    })
}
