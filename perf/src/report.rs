//! Commit-latency statistics and the periodic report line.

use hdrhistogram::Histogram;
use std::fmt;

/// Latencies are recorded in microseconds, from 1 µs to one hour, 3 significant digits.
const LOWEST_US: u64 = 1;
const HIGHEST_US: u64 = 3_600_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;

/// One interval's figures. `Display` starts like Kafka's `TestRaftServer` line so the two compare.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalReport {
    pub elapsed_ms: u64,
    pub committed_records: u64,
    pub committed_bytes: u64,
    pub p50_ms: f64,
    pub p75_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// Records the throttle asked for in the interval, and how many of them could not be offered
    /// (backpressure: too many appends waiting for commit).
    pub offered_records: u64,
    pub shed_records: u64,
    pub target_records_per_s: u32,
}

impl IntervalReport {
    pub fn records_per_s(&self) -> f64 {
        per_second(self.committed_records, self.elapsed_ms)
    }

    pub fn bytes_per_s(&self) -> f64 {
        per_second(self.committed_bytes, self.elapsed_ms)
    }

    /// The offered rate was not met if records were shed or the throttle fell more than 5% behind.
    pub fn offered_rate_met(&self) -> bool {
        let offered_per_s = per_second(self.offered_records, self.elapsed_ms);
        self.shed_records == 0 && offered_per_s >= 0.95 * f64::from(self.target_records_per_s)
    }
}

fn per_second(count: u64, elapsed_ms: u64) -> f64 {
    if elapsed_ms == 0 {
        return 0.0;
    }
    count as f64 * 1000.0 / elapsed_ms as f64
}

impl fmt::Display for IntervalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Throughput (bytes/second): {:.2}, Latency (ms): {:.3} p75 {:.3} p99 {:.3} p999, \
             {:.3} p50 {:.3} max, committed {:.1} records/s {:.2} MB/s over {:.1} s",
            self.bytes_per_s(),
            self.p75_ms,
            self.p99_ms,
            self.p999_ms,
            self.p50_ms,
            self.max_ms,
            self.records_per_s(),
            self.bytes_per_s() / 1e6,
            self.elapsed_ms as f64 / 1000.0,
        )?;
        if !self.offered_rate_met() {
            write!(
                f,
                ", offered rate {} records/s NOT met ({:.1} records/s offered, {} shed by backpressure)",
                self.target_records_per_s,
                per_second(self.offered_records, self.elapsed_ms),
                self.shed_records
            )?;
        }
        Ok(())
    }
}

/// Interval and whole-run histograms of commit latency.
#[derive(Debug, Clone)]
pub struct LatencyStats {
    interval: Histogram<u64>,
    total: Histogram<u64>,
    interval_records: u64,
    interval_bytes: u64,
    total_records: u64,
    total_bytes: u64,
}

impl Default for LatencyStats {
    fn default() -> Self {
        Self::new()
    }
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS).expect("valid bounds")
}

fn ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    if histogram.is_empty() {
        return 0.0;
    }
    histogram.value_at_quantile(quantile) as f64 / 1000.0
}

impl LatencyStats {
    pub fn new() -> Self {
        LatencyStats {
            interval: new_histogram(),
            total: new_histogram(),
            interval_records: 0,
            interval_bytes: 0,
            total_records: 0,
            total_bytes: 0,
        }
    }

    /// Records one committed record. Latencies beyond the range are clamped, never dropped.
    pub fn record(&mut self, latency_ns: u64, size_bytes: u64) {
        let us = (latency_ns / 1000).clamp(LOWEST_US, HIGHEST_US);
        self.interval.saturating_record(us);
        self.total.saturating_record(us);
        self.interval_records += 1;
        self.interval_bytes += size_bytes;
        self.total_records += 1;
        self.total_bytes += size_bytes;
    }

    pub fn total_records(&self) -> u64 {
        self.total_records
    }

    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// The whole-run histogram (microseconds).
    pub fn total_histogram(&self) -> &Histogram<u64> {
        &self.total
    }

    /// Closes the current interval and starts a new one.
    pub fn take_interval(
        &mut self,
        elapsed_ms: u64,
        offered_records: u64,
        shed_records: u64,
        target_records_per_s: u32,
    ) -> IntervalReport {
        let report = summarize(
            &self.interval,
            elapsed_ms,
            self.interval_records,
            self.interval_bytes,
            offered_records,
            shed_records,
            target_records_per_s,
        );
        self.interval.reset();
        self.interval_records = 0;
        self.interval_bytes = 0;
        report
    }

    /// The whole run as one interval.
    pub fn summary(
        &self,
        elapsed_ms: u64,
        offered_records: u64,
        shed_records: u64,
        target: u32,
    ) -> IntervalReport {
        summarize(
            &self.total,
            elapsed_ms,
            self.total_records,
            self.total_bytes,
            offered_records,
            shed_records,
            target,
        )
    }
}

fn summarize(
    h: &Histogram<u64>,
    elapsed_ms: u64,
    records: u64,
    bytes: u64,
    offered_records: u64,
    shed_records: u64,
    target_records_per_s: u32,
) -> IntervalReport {
    IntervalReport {
        elapsed_ms,
        committed_records: records,
        committed_bytes: bytes,
        p50_ms: ms(h, 0.50),
        p75_ms: ms(h, 0.75),
        p99_ms: ms(h, 0.99),
        p999_ms: ms(h, 0.999),
        max_ms: if h.is_empty() {
            0.0
        } else {
            h.max() as f64 / 1000.0
        },
        offered_records,
        shed_records,
        target_records_per_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_line_starts_like_kafka_and_has_percentiles() {
        let mut stats = LatencyStats::new();
        for i in 1..=1000u64 {
            stats.record(i * 1_000_000 / 100, 256); // 0.01 ms .. 10 ms
        }
        let report = stats.take_interval(5000, 1000, 0, 200);
        assert_eq!(report.committed_records, 1000);
        assert!((report.p50_ms - 5.0).abs() < 0.1, "{report:?}");
        assert!((report.p99_ms - 9.9).abs() < 0.1, "{report:?}");
        assert!((report.max_ms - 10.0).abs() < 0.1);
        let line = report.to_string();
        assert!(
            line.starts_with("Throughput (bytes/second): 51200.00, Latency (ms): "),
            "{line}"
        );
        assert!(line.contains(" p75 ") && line.contains(" p99 ") && line.contains(" p999"));
        assert!(!line.contains("NOT met"));
        // The interval was reset, the total kept.
        assert_eq!(stats.take_interval(5000, 0, 0, 1).committed_records, 0);
        assert_eq!(stats.total_records(), 1000);
    }

    #[test]
    fn unmet_offered_rate_is_reported() {
        let mut stats = LatencyStats::new();
        stats.record(1_000_000, 256);
        let line = stats.take_interval(1000, 500, 10, 1000).to_string();
        assert!(
            line.contains("offered rate 1000 records/s NOT met"),
            "{line}"
        );
    }
}
