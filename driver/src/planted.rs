//! Deliberate runtime-ordering bugs for the simulator's tests (cargo feature `planted-bugs`, off
//! by default; only `kraft-sim`'s tests turn it on), the same pattern as the core's
//! (`kraft_engine::planted`): a one-line change at its site, selected per thread at run time.

use std::cell::Cell;

/// One bug, named after what it breaks in the runtime's sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlantedRuntimeBug {
    /// An fsync's completion is recorded with what the log holds when it completes, not with
    /// what it held when the fsync started: appends made during the fsync are reported durable.
    FlushCoversLaterAppends,
    /// Outputs after a `PersistElectionState` run before its write is durable (a vote granted
    /// on the wire that a crash can take back).
    OutputsBeforeElectionDurable,
    /// A Fetch response's `Records::LogRange` is read in whatever generation the log is in now:
    /// a network side running ahead of a log side that has not applied a truncation yet serves
    /// the bytes the core cut.
    LogRangeInCurrentGeneration,
}

thread_local! {
    static ACTIVE: Cell<Option<PlantedRuntimeBug>> = const { Cell::new(None) };
}

/// Makes `bug` active for every pipeline driven on this thread from now on (`None`: no bug).
pub fn set_active(bug: Option<PlantedRuntimeBug>) {
    ACTIVE.with(|active| active.set(bug));
}

pub fn active() -> Option<PlantedRuntimeBug> {
    ACTIVE.with(Cell::get)
}

pub(crate) fn is_active(bug: PlantedRuntimeBug) -> bool {
    active() == Some(bug)
}
