//! Flush reports and the slot where they wait for the Raft loop.

use kraft_engine::io::Input;

/// The log is durable below `flushed_end_offset` in `generation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlushReport {
    pub flushed_end_offset: i64,
    pub generation: u64,
}

impl FlushReport {
    pub fn into_input(self) -> Input {
        Input::LogFlushed {
            flushed_end_offset: self.flushed_end_offset,
            generation: self.generation,
        }
    }
}

/// One slot of flush reports between the log side and the Raft loop. The log side never waits
/// for the Raft loop (the Raft loop waits on its sends to the log: two bounded links waiting on
/// each other would deadlock), so reports coalesce here: only the latest matters, since the core
/// takes it as "durable up to" in its generation and refuses one of an older generation.
#[derive(Debug, Default)]
pub struct FlushReportSlot {
    pending: Option<FlushReport>,
    /// The last report put: within one generation the durable end never goes back (only a
    /// truncation lowers it, and that starts a generation), so a report that does was labelled
    /// with the wrong generation.
    last_put: Option<FlushReport>,
}

impl FlushReportSlot {
    pub fn put(&mut self, report: FlushReport) {
        if let Some(last) = self.last_put {
            assert!(
                report.generation >= last.generation,
                "flush report of generation {} after one of {}",
                report.generation,
                last.generation
            );
            assert!(
                report.generation > last.generation
                    || report.flushed_end_offset >= last.flushed_end_offset,
                "durable end {} below {} within generation {}",
                report.flushed_end_offset,
                last.flushed_end_offset,
                report.generation
            );
        }
        self.last_put = Some(report);
        self.pending = Some(report);
    }

    /// The latest report not handed over yet.
    pub fn take(&mut self) -> Option<FlushReport> {
        self.pending.take()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_none()
    }
}
