//! One run of three Kafka `kafka.tools.TestRaftServer` JVMs on loopback at an offered rate, read
//! back from the leader's own report line, the only figures TestRaftServer exposes.
//!
//! What that line is (Kafka 4.4.0, `TestRaftServer.WriteStats`, read from its bytecode and the
//! client metrics' sources): printed by the leader's workload thread when a record commits and
//! 5 s have passed since the last line; latency is `currentTimeMillis` at commit minus at append,
//! whole milliseconds, in a `Percentiles` stat of 250 buckets of 1 ms over 0-250 ms (larger
//! values pinned to the last bucket) with only p75, p99 and p99.9 registered; the stat keeps 3
//! samples of 30 s (MetricConfig's 2 plus one overlapping), so a line printed less than 90 s
//! after the first record covers every record since the first. The throughput is a windowed sum
//! divided by the time since the first record, but never by less than 30 s: a line printed
//! earlier than 30 s into the run understates it, which is why the benches read committed rates
//! from the logs instead. Its `Metrics` has no reporter (no JMX) and `TestRaftRequestHandler`
//! answers no DescribeQuorum, so nothing more precise can be read without changing Kafka.

use crate::committed::{committed_in_epoch, wall_clock_ms, Committed};
use crate::process::poll;
use kraft_interop::{Kafka, Kind, Quorum};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The longest run whose last line still covers every record (3 samples of 30 s).
pub const MAX_SECS: u64 = 80;

/// One `Throughput (bytes/second): X, Latency (ms): a p75 b p99 c p999` line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KafkaReport {
    pub bytes_per_s: f64,
    pub p75_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
}

/// Parses TestRaftServer's report line (Java prints `NaN` and `Infinity` as such).
pub fn parse_report(line: &str) -> Option<KafkaReport> {
    let rest = line.strip_prefix("Throughput (bytes/second): ")?;
    let (bytes, latency) = rest.split_once(", Latency (ms): ")?;
    let words: Vec<&str> = latency.split_whitespace().collect();
    let before = |label: &str| -> Option<f64> {
        let i = words.iter().position(|w| *w == label)?;
        words.get(i.checked_sub(1)?)?.parse().ok()
    };
    Some(KafkaReport {
        bytes_per_s: bytes.trim().parse().ok()?,
        p75_ms: before("p75")?,
        p99_ms: before("p99")?,
        p999_ms: before("p999")?,
    })
}

pub struct KafkaRun {
    pub leader: i32,
    /// The epoch it was elected in: the records measured are this epoch's.
    pub epoch: i32,
    /// The leader's last report line, if it printed one after the election.
    pub report: Option<KafkaReport>,
    /// From the election seen in `quorum-state` to the end of the measured period (the report
    /// line, or the end of the wait when the workload stopped printing).
    pub covered: Duration,
    /// The line came after the run's time was up (the workload was still committing).
    pub report_at_end: bool,
    /// The leader and epoch were the same at the end (a new leader starts its own figures).
    pub leader_stable: bool,
    /// The leader's workload thread died. TestRaftServer 4.4.0 lets `BatchAccumulator`'s
    /// IllegalStateException ("number of batches 10 reached 10") end the thread when it offers
    /// more than the quorum drains: from then on the leader commits nothing new.
    pub workload_died: bool,
    /// The leader's epoch read from the logs (see `committed`).
    pub committed: Option<Committed>,
}

/// The workload of a run.
#[derive(Debug, Clone, Copy)]
pub struct Offered {
    pub records_per_s: u64,
    pub record_size: u32,
    pub linger_ms: u64,
    pub secs: u64,
}

/// Runs three TestRaftServer JVMs (each launched as Kafka's script does, `heap_mb` fixed heap)
/// and returns the leader's last report line once `offered.secs` have passed since the election.
pub fn run_kafka_quorum(
    kafka: &Kafka,
    server_bin: &Path,
    base: &Path,
    offered: Offered,
    heap_mb: u32,
) -> Option<KafkaRun> {
    let dir = tempfile::tempdir_in(base).expect("temp dir");
    let extra = format!("controller.quorum.append.linger.ms={}", offered.linger_ms);
    let throughput = u32::try_from(offered.records_per_s).unwrap_or(u32::MAX);
    let kinds = [Kind::Java; 3];
    let workload = (throughput, offered.record_size);
    let mut quorum = Quorum::new_in(dir, kafka, server_bin, &kinds, &extra, workload);
    for member in &mut quorum.members {
        member.script_heap_mb = Some(heap_mb);
    }
    quorum.start_all();
    let run = measure(&mut quorum, offered);
    // kill -9, all at once: the logs stop where the run's time ended (a graceful stop resigns,
    // and the remaining two would go on committing while the first shuts down).
    let end_ms = wall_clock_ms();
    let Some(mut run) = run else {
        eprintln!(
            "Kafka quorum at {} records/s elected no leader:\n{}",
            offered.records_per_s,
            quorum.diagnostics()
        );
        return None;
    };
    for member in &mut quorum.members {
        member.kill();
    }
    if run.report.is_none() {
        eprintln!(
            "Kafka leader {} at {} records/s printed no report:\n{}",
            run.leader,
            offered.records_per_s,
            quorum.diagnostics()
        );
    }
    let dirs: Vec<PathBuf> = quorum.members.iter().map(|m| m.partition_dir()).collect();
    let leader_dir = quorum.member(run.leader).partition_dir();
    run.committed = committed_in_epoch(&leader_dir, &dirs, run.epoch, end_ms);
    Some(run)
}

fn measure(quorum: &mut Quorum, offered: Offered) -> Option<KafkaRun> {
    // JVM start, log recovery and the first election: generous, but bounded.
    let (leader, epoch) = poll(Duration::from_secs(90), || quorum.leader())?;
    let elected = Instant::now();
    let secs = offered.secs.min(MAX_SECS);
    std::thread::sleep(Duration::from_secs(secs));
    let seen = quorum.member(leader).report_lines();
    // A line comes 5 s after the last plus one commit; 12 s bounds a leader that stopped.
    let report_at_end = poll(Duration::from_secs(12), || {
        (quorum.member(leader).report_lines() > seen).then_some(())
    })
    .is_some();
    let covered = elected.elapsed();
    let member = quorum.member(leader);
    let report = member
        .stdout_lines()
        .iter()
        .rev()
        .find_map(|l| parse_report(l));
    let workload_died = member.stderr().contains("Error due to");
    Some(KafkaRun {
        leader,
        epoch,
        report,
        covered,
        report_at_end,
        leader_stable: quorum.leader() == Some((leader, epoch)),
        workload_died,
        committed: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_test_raft_servers_report_line() {
        let line =
            "Throughput (bytes/second): 2560000.00, Latency (ms): 3.0 p75 12.0 p99 249.0 p999";
        let r = parse_report(line).unwrap();
        assert_eq!(r.bytes_per_s, 2_560_000.0);
        assert_eq!((r.p75_ms, r.p99_ms, r.p999_ms), (3.0, 12.0, 249.0));
        let empty = "Throughput (bytes/second): 0.00, Latency (ms): NaN p75 NaN p99 NaN p999";
        assert!(parse_report(empty).unwrap().p75_ms.is_nan());
        assert!(parse_report("Summary: Throughput (bytes/second): 1.0").is_none());
    }
}
