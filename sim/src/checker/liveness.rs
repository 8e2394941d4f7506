//! Liveness: once the cluster is calm, a record appended after that is committed within a bound.

use super::{Checker, Invariant};

#[derive(Clone, Debug)]
pub(super) struct LivenessWindow {
    start_ms: u64,
    deadline_ms: u64,
    /// Smallest offset handed out to a workload append after the window started.
    first_new_offset: Option<i64>,
}

impl Checker {
    /// A majority is connected and stable from `time_ms` on: by `time_ms + bound_ms` a leader must
    /// exist and a record appended after `time_ms` must be committed.
    pub fn begin_calm(&mut self, time_ms: u64, bound_ms: u64) {
        self.liveness = Some(LivenessWindow {
            start_ms: time_ms,
            deadline_ms: time_ms + bound_ms,
            first_new_offset: None,
        });
    }

    /// A fault ends the calm period; nothing is owed for it.
    pub fn end_calm(&mut self) {
        self.liveness = None;
    }

    pub fn in_calm(&self) -> bool {
        self.liveness.is_some()
    }

    /// The workload appended a record at `offset` (accepted by a leader).
    pub fn on_workload_append(&mut self, offset: i64) {
        if let Some(window) = &mut self.liveness {
            if window.first_new_offset.is_none_or(|o| offset < o) {
                window.first_new_offset = Some(offset);
            }
        }
    }

    /// Checks the liveness window at `time_ms`.
    pub fn check_liveness(&mut self, time_ms: u64) {
        let Some(window) = self.liveness.clone() else {
            return;
        };
        let progressed = window
            .first_new_offset
            .is_some_and(|o| self.committed_end_offset() > o);
        if progressed {
            self.liveness = None;
            self.liveness_windows_passed += 1;
        } else if time_ms > window.deadline_ms {
            self.liveness = None;
            let detail = format!(
                "calm since {}ms, but by {}ms no record appended after that was committed (appended from {:?}, committed end {})",
                window.start_ms,
                window.deadline_ms,
                window.first_new_offset,
                self.committed_end_offset()
            );
            self.report(time_ms, Invariant::Liveness, None, detail);
        }
    }
}
