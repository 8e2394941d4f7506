//! The event loop of a simulated run: messages and events in time order until the horizon, the
//! step budget or a stop, then what the run produced.

use super::{Cluster, SimOptions, SimOutcome};
use crate::checker::Invariant;

impl Cluster {
    pub fn run(mut self) -> SimOutcome {
        // Hard bound on simulated time: the chaos budget plus one full liveness window and slack.
        let horizon_ms = self.options.duration_ms + self.options.liveness_bound_ms + 8_000 + 10_000;
        let mut was_calm = false;
        while !self.stop && self.steps < self.options.max_steps {
            let next_event = self.events.peek().map(|e| e.at_ms);
            let next_message = self.network.next_delivery_ms();
            let next = match (next_event, next_message) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => break,
            };
            if next > horizon_ms {
                break;
            }
            self.now_ms = self.now_ms.max(next);
            if next_message == Some(next) && next_event.is_none_or(|e| e >= next) {
                if let Some(message) = self.network.pop_due(self.now_ms) {
                    self.deliver(message.from, message.to, *message.message);
                }
            } else if let Some(event) = self.events.pop() {
                self.handle_event(event);
            }
            self.checker.check_liveness(self.now_ms);
            let calm = self.checker.in_calm();
            if was_calm && !calm {
                self.after_calm();
            }
            was_calm = self.checker.in_calm();
        }
        if self.steps >= self.options.max_steps {
            let detail = format!(
                "step budget of {} exhausted at {} ms simulated: far more work than the workload explains",
                self.options.max_steps, self.now_ms
            );
            self.violation(Invariant::Contract, None, detail);
        }
        SimOutcome {
            seed: self.options.seed,
            steps: self.steps,
            simulated_ms: self.now_ms,
            violation_count: self.checker.violation_count(),
            violations: self.checker.violations().to_vec(),
            trace_hash: self.trace_hash,
            committed_end_offset: self.checker.committed_end_offset(),
            leaders_seen: self.checker.leaders_seen(),
            crashes: self.crashes,
            election_writes_lost: self.election_writes_lost,
            election_write_stalls: self.election_write_stalls,
            net: self.net_counts,
            snapshots_frozen: self.snapshots_frozen,
            snapshots_loaded: self.snapshots_loaded,
            snapshot_load_failures: self.snapshot_load_failures,
            downloads_interrupted: self.downloads_interrupted,
            snapshot_loads_behind_log: self.snapshot_loads_behind_log,
            retention_behind_log: self.retention_behind_log,
            liveness_windows_passed: self.checker.liveness_windows_passed(),
            reconfig: self.operator.as_ref().map(|o| o.counts).unwrap_or_default(),
            trace_tail: self.trace_tail.into_iter().collect(),
        }
    }
}

/// Runs one seed with the default mix of options, keeping the last `trace_lines` trace lines.
pub fn run_seed(seed: u64, trace_lines: usize) -> SimOutcome {
    let mut options = SimOptions::for_seed(seed);
    options.trace_lines = trace_lines;
    Cluster::new(options).run()
}
