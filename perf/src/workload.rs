//! The leader-side workload: append at a fixed rate while this node leads, match every commit to
//! its append, and measure the latency between them.

use crate::{IntervalReport, LatencyStats, PayloadGenerator, Throttle};
use std::collections::VecDeque;
use std::fmt;

/// Uncommitted record bytes the workload lets the leader run ahead of the quorum. Offered far
/// above capacity, a leader bounded only by time (two seconds of the offered rate) wrote up to
/// gigabytes the followers had not fetched: their fetches fell out of the page cache the log
/// keeps (`segment-log`'s 128 MiB behind the flushed end) and committed throughput collapsed
/// (3M records/s offered: 212k committed, p50 4.5 s). 32 MiB keeps an overloaded quorum at its
/// maximum and its queueing delay bounded.
pub const MAX_PENDING_BYTES: usize = 32 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkloadConfig {
    pub node_id: i32,
    pub throughput_records_per_s: u32,
    pub record_size_bytes: u32,
    /// Appends allowed to wait for commit at once; beyond this the workload sheds load instead of
    /// growing memory (backpressure), and the report says the offered rate was not met.
    pub max_pending_records: usize,
    pub report_interval_ms: u64,
}

impl WorkloadConfig {
    /// Two seconds of offered load may wait for commit, but no more than
    /// `MAX_PENDING_BYTES` of record values, and at least 1,000 records.
    pub fn new(node_id: i32, throughput_records_per_s: u32, record_size_bytes: u32) -> Self {
        let by_bytes = MAX_PENDING_BYTES / (record_size_bytes as usize).max(1);
        WorkloadConfig {
            node_id,
            throughput_records_per_s,
            record_size_bytes,
            max_pending_records: (throughput_records_per_s as usize * 2)
                .min(by_bytes)
                .max(1000),
            report_interval_ms: crate::REPORT_INTERVAL_MS,
        }
    }
}

/// A committed offset of this workload's epoch did not match the oldest pending append: the log
/// and the workload disagree, which Kafka's test server treats as fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitMismatch {
    pub epoch: i32,
    pub committed_offset: i64,
    pub expected_offset: Option<i64>,
}

impl fmt::Display for CommitMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expected_offset {
            Some(expected) => write!(
                f,
                "committed offset {} in epoch {} but the oldest pending append is at offset {}",
                self.committed_offset, self.epoch, expected
            ),
            None => write!(
                f,
                "committed offset {} in epoch {} but no append is pending",
                self.committed_offset, self.epoch
            ),
        }
    }
}

impl std::error::Error for CommitMismatch {}

#[derive(Debug)]
struct Leading {
    epoch: i32,
    throttle: Throttle,
}

/// Drives appends while this node leads and turns commits into latency figures.
#[derive(Debug)]
pub struct Workload {
    config: WorkloadConfig,
    leading: Option<Leading>,
    /// (offset, append time) of records appended in the current epoch, oldest first.
    pending: VecDeque<(i64, u64)>,
    payload: PayloadGenerator,
    stats: LatencyStats,
    run_start_ns: Option<u64>,
    /// When the workload stopped for good (shutdown); the summary's time ends there.
    run_end_ns: Option<u64>,
    interval_start_ns: u64,
    interval_offered: u64,
    interval_shed: u64,
    total_offered: u64,
    total_shed: u64,
}

impl Workload {
    pub fn new(config: WorkloadConfig, seed: u64) -> Self {
        assert!(config.throughput_records_per_s > 0);
        assert!(config.max_pending_records > 0);
        Workload {
            config,
            leading: None,
            pending: VecDeque::with_capacity(config.max_pending_records),
            payload: PayloadGenerator::new(seed),
            stats: LatencyStats::new(),
            run_start_ns: None,
            run_end_ns: None,
            interval_start_ns: 0,
            interval_offered: 0,
            interval_shed: 0,
            total_offered: 0,
            total_shed: 0,
        }
    }

    pub fn config(&self) -> &WorkloadConfig {
        &self.config
    }

    /// The epoch this node leads and writes in, if any.
    pub fn leader_epoch(&self) -> Option<i32> {
        self.leading.as_ref().map(|l| l.epoch)
    }

    pub fn pending_records(&self) -> usize {
        self.pending.len()
    }

    pub fn stats(&self) -> &LatencyStats {
        &self.stats
    }

    /// handleLeaderChange: start writing in `epoch` when this node leads it, stop otherwise.
    pub fn on_leader_change(&mut self, leader_id: Option<i32>, epoch: i32, now_ns: u64) {
        if leader_id == Some(self.config.node_id) {
            if self.leader_epoch() != Some(epoch) {
                self.leading = Some(Leading {
                    epoch,
                    throttle: Throttle::new(self.config.throughput_records_per_s, now_ns),
                });
                self.pending.clear();
                if self.run_start_ns.is_none() {
                    self.run_start_ns = Some(now_ns);
                }
                self.interval_start_ns = now_ns;
            }
        } else {
            self.leading = None;
            self.pending.clear();
        }
    }

    /// Records due now that may be appended (bounded by the pending limit). Records due beyond
    /// the limit are shed and counted, so the offered load never grows memory.
    pub fn due(&mut self, now_ns: u64) -> usize {
        if self.run_end_ns.is_some() {
            return 0;
        }
        let Some(leading) = self.leading.as_mut() else {
            return 0;
        };
        let due = leading.throttle.due(now_ns);
        let room = (self.config.max_pending_records - self.pending.len()) as u64;
        if due > room {
            let shed = due - room;
            leading.throttle.offered(shed);
            self.interval_shed += shed;
            self.total_shed += shed;
            self.interval_offered += shed;
            self.total_offered += shed;
        }
        due.min(room) as usize
    }

    /// When the next record becomes due, if leading.
    pub fn next_due_ns(&self) -> Option<u64> {
        self.leading.as_ref().map(|l| l.throttle.next_due_ns())
    }

    /// Writes a fresh random payload of `record_size_bytes` into `out`, which is the record's
    /// place in the Raft node's open batch (no staging copy).
    pub fn fill_payload(&mut self, out: &mut [u8]) {
        debug_assert_eq!(out.len(), self.config.record_size_bytes as usize);
        self.payload.fill(out);
    }

    /// The record was accepted by the Raft node at `offset`.
    pub fn on_appended(&mut self, offset: i64, now_ns: u64) {
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        leading.throttle.offered(1);
        self.interval_offered += 1;
        self.total_offered += 1;
        debug_assert!(self.pending.back().is_none_or(|&(last, _)| last < offset));
        assert!(
            self.pending.len() < self.config.max_pending_records,
            "due() bounds pending"
        );
        self.pending.push_back((offset, now_ns));
    }

    /// The Raft node refused the append (not leader any more, accumulator full): count it as
    /// offered but not sent.
    pub fn on_append_refused(&mut self) {
        if let Some(leading) = self.leading.as_mut() {
            leading.throttle.offered(1);
            self.interval_offered += 1;
            self.total_offered += 1;
            self.interval_shed += 1;
            self.total_shed += 1;
        }
    }

    /// handleCommit for one data record at `offset` of a batch written in `epoch`.
    pub fn on_committed_record(
        &mut self,
        epoch: i32,
        offset: i64,
        size_bytes: u64,
        now_ns: u64,
    ) -> Result<(), CommitMismatch> {
        if self.leader_epoch() != Some(epoch) {
            return Ok(()); // another epoch's records: not ours to time, as Kafka's server
        }
        match self.pending.front() {
            Some(&(expected, sent_ns)) if expected == offset => {
                self.pending.pop_front();
                self.stats
                    .record(now_ns.saturating_sub(sent_ns), size_bytes);
                Ok(())
            }
            // Our own epoch's records appended before this workload saw the leadership (none in
            // practice): older than anything pending, so not ours.
            Some(&(expected, _)) if offset < expected => Ok(()),
            other => Err(CommitMismatch {
                epoch,
                committed_offset: offset,
                expected_offset: other.map(|&(o, _)| o),
            }),
        }
    }

    /// The report for the interval ending now, once `report_interval_ms` has passed.
    pub fn maybe_report(&mut self, now_ns: u64) -> Option<IntervalReport> {
        self.leading.as_ref()?;
        let elapsed_ms = now_ns.saturating_sub(self.interval_start_ns) / 1_000_000;
        if elapsed_ms < self.config.report_interval_ms {
            return None;
        }
        let report = self.stats.take_interval(
            elapsed_ms,
            self.interval_offered,
            self.interval_shed,
            self.config.throughput_records_per_s,
        );
        self.interval_start_ns = now_ns;
        self.interval_offered = 0;
        self.interval_shed = 0;
        Some(report)
    }

    /// Stops appending for good (the node is shutting down). Commits still arriving are timed,
    /// but the run's duration ends here, so the summary's rates are not diluted by the shutdown.
    pub fn stop(&mut self, now_ns: u64) {
        if self.run_end_ns.is_none() && self.run_start_ns.is_some() {
            self.run_end_ns = Some(now_ns);
        }
    }

    /// The whole run, for the exit summary; `None` if this node never led.
    pub fn summary(&self, now_ns: u64) -> Option<IntervalReport> {
        let start = self.run_start_ns?;
        let end = self.run_end_ns.unwrap_or(now_ns);
        Some(self.stats.summary(
            end.saturating_sub(start) / 1_000_000,
            self.total_offered,
            self.total_shed,
            self.config.throughput_records_per_s,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn workload() -> Workload {
        let mut config = WorkloadConfig::new(1, 1000, 16);
        config.max_pending_records = 5;
        Workload::new(config, 7)
    }

    #[test]
    fn pending_appends_are_bounded_by_time_and_by_bytes() {
        // Two seconds of offered load while that is small...
        assert_eq!(
            WorkloadConfig::new(1, 10_000, 256).max_pending_records,
            20_000
        );
        // ...32 MiB of values when it is not...
        assert_eq!(
            WorkloadConfig::new(1, 3_000_000, 256).max_pending_records,
            MAX_PENDING_BYTES / 256
        );
        // ...and never fewer than 1,000 records.
        assert_eq!(
            WorkloadConfig::new(1, 10, 1 << 20).max_pending_records,
            1000
        );
    }

    #[test]
    fn appends_only_while_leading() {
        let mut w = workload();
        assert_eq!(w.due(10 * MS), 0);
        w.on_leader_change(Some(2), 3, 0);
        assert_eq!(w.due(10 * MS), 0);
        w.on_leader_change(Some(1), 3, 0);
        assert_eq!(w.due(3 * MS), 3);
        w.on_leader_change(None, 4, 4 * MS);
        assert_eq!(w.due(100 * MS), 0);
    }

    #[test]
    fn commit_latency_is_measured_per_record() {
        let mut w = workload();
        w.on_leader_change(Some(1), 2, 0);
        assert_eq!(w.due(2 * MS), 2);
        let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
        w.fill_payload(&mut a);
        w.fill_payload(&mut b);
        assert_ne!(a, b, "every record gets fresh random bytes");
        w.on_appended(10, 2 * MS);
        w.on_appended(11, 2 * MS);
        w.on_committed_record(2, 10, 16, 5 * MS).unwrap();
        // Another epoch's records are ignored.
        w.on_committed_record(1, 11, 16, 5 * MS).unwrap();
        w.on_committed_record(2, 11, 16, 6 * MS).unwrap();
        assert_eq!(w.stats().total_records(), 2);
        let report = w.maybe_report(5001 * MS).unwrap();
        assert_eq!(report.committed_records, 2);
        assert!((report.max_ms - 4.0).abs() < 0.01, "{report:?}");
        let err = w.on_committed_record(2, 12, 16, 7 * MS).unwrap_err();
        assert_eq!(err.expected_offset, None);
    }

    #[test]
    fn stop_ends_the_run_but_pending_commits_are_still_timed() {
        let mut w = workload();
        w.on_leader_change(Some(1), 1, 0);
        assert_eq!(w.due(2 * MS), 2);
        w.on_appended(0, 2 * MS);
        w.on_appended(1, 2 * MS);
        w.stop(1000 * MS);
        assert_eq!(w.due(5000 * MS), 0, "no appends after stop");
        w.on_committed_record(1, 0, 16, 5000 * MS).unwrap();
        let summary = w.summary(9000 * MS).unwrap();
        assert_eq!(
            summary.elapsed_ms, 1000,
            "the run ends at stop, not at exit"
        );
        assert_eq!(summary.committed_records, 1);
    }

    #[test]
    fn backpressure_sheds_instead_of_growing() {
        let mut w = workload();
        w.on_leader_change(Some(1), 1, 0);
        let due = w.due(100 * MS);
        assert_eq!(due, 5, "bounded by max_pending_records");
        for offset in 0..5 {
            w.on_appended(offset, 100 * MS);
        }
        assert_eq!(w.due(200 * MS), 0);
        assert_eq!(w.pending_records(), 5);
        let report = w.maybe_report(5000 * MS).unwrap();
        assert!(!report.offered_rate_met());
        assert!(report.shed_records > 0);
    }
}
