//! Open-loop throttle: by time `t` after the start, `rate * t` records should have been offered.

/// Counts records offered since `start_ns` against a fixed rate.
#[derive(Debug, Clone)]
pub struct Throttle {
    rate_per_s: u64,
    start_ns: u64,
    offered: u64,
}

impl Throttle {
    pub fn new(rate_per_s: u32, start_ns: u64) -> Self {
        assert!(rate_per_s > 0, "rate must be positive");
        Throttle {
            rate_per_s: u64::from(rate_per_s),
            start_ns,
            offered: 0,
        }
    }

    /// Records that are due at `now_ns` and have not been offered yet.
    pub fn due(&self, now_ns: u64) -> u64 {
        let elapsed_ns = now_ns.saturating_sub(self.start_ns);
        let target = (u128::from(elapsed_ns) * u128::from(self.rate_per_s) / 1_000_000_000) as u64;
        target.saturating_sub(self.offered)
    }

    /// Marks `n` records as offered (sent or dropped for backpressure).
    pub fn offered(&mut self, n: u64) {
        self.offered += n;
    }

    pub fn offered_total(&self) -> u64 {
        self.offered
    }

    /// When the next record becomes due.
    pub fn next_due_ns(&self) -> u64 {
        let next = self.offered + 1;
        self.start_ns + (u128::from(next) * 1_000_000_000 / u128::from(self.rate_per_s)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_at_the_configured_rate() {
        let mut t = Throttle::new(1000, 5_000);
        assert_eq!(t.due(5_000), 0);
        assert_eq!(t.next_due_ns(), 5_000 + 1_000_000);
        assert_eq!(t.due(5_000 + 10_000_000), 10);
        t.offered(10);
        assert_eq!(t.due(5_000 + 10_000_000), 0);
        assert_eq!(t.due(5_000 + 1_000_000_000), 990);
    }
}
