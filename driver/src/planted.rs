//! Deliberate runtime-ordering bugs for the simulator's tests (cargo feature `planted-bugs`, off
//! by default; only `kraft-sim`'s tests turn it on), the same pattern as the core's
//! (`kraft_engine::planted`): a one-line change at its site, selected per thread at run time.

use std::cell::Cell;

/// One bug, named after what it breaks in the log side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlantedRuntimeBug {
    /// The report slot coalesces a flush report of an older generation with a newer one by
    /// keeping the larger durable end: the older log's end is claimed durable in the newer log.
    ReportsCoalescedAcrossGenerations,
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
