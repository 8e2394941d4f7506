//! Deliberate bugs for the simulator's own tests (cargo feature `planted-bugs`, off by default;
//! only `kraft-sim`'s tests turn it on). Each bug is a one-line change at its site, selected at
//! run time per thread, so a test shows that the simulator's checker reports what such a bug
//! breaks in a whole run (issue 13 planted five by hand; issue 14 keeps them).
//!
//! Without the feature this module is not compiled and every `planted!(...)` site is `false`.
//! With it, nothing is active until a thread calls [`set_active`]: other tests linked against the
//! feature-enabled engine (cargo unifies features within one build) behave as normal.

use std::cell::Cell;

/// One bug, named after what it breaks in the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlantedBug {
    /// A standard vote is granted without the log check (Raft 5.4.1).
    VoteWithoutLogCheck,
    /// The leader's high watermark is the fastest replica's offset, not the majority's.
    HighWatermarkFromFastest,
    /// The leader's high watermark needs one voter fewer than a majority (two of five).
    HighWatermarkFromMinority,
    /// The leader commits before an entry of its own epoch (no epoch-start check, Raft 5.4.2).
    CommitBeforeOwnEpoch,
    /// The leader counts its whole log, flushed or not, toward the high watermark.
    LeaderCountsUnflushed,
    /// A candidate wins with one granted vote fewer than a majority.
    WinWithoutMajority,
    /// A granted standard vote is sent without being written to quorum-state first.
    VoteNotPersisted,
    /// A listener's next offset is not advanced after a commit: it is handed the range again.
    ListenerCommitNotAdvanced,
    /// A leader tells its listeners of its own leadership before they read its epoch start.
    ListenerLeaderTooEarly,
    /// The leader's AppendBatch names a last offset one past its batch.
    AppendBatchOffByOne,
    /// The core panics on a flush notification.
    PanicOnFlush,
    /// A leader's LeaderChange record names the next node id instead of itself.
    LeaderChangeNamesAnother,
    /// The leader's DescribeQuorum answer reports its high watermark plus one.
    DescribeHighWatermarkOffByOne,
    /// A leader never advances its high watermark: nothing commits.
    LeaderNeverCommits,
    /// A node restarted as a follower resumes in the epoch before the one it read (and persists it).
    RestartPersistsOlderEpoch,
    /// A node following a new leader starts its high watermark over at 0.
    FollowerResetsHighWatermark,
    /// A listener whose next offset fell below the log start (a downloaded snapshot, retention)
    /// is not told to load the snapshot: it is handed commits from offsets the log no longer has.
    ListenerMissesLoadSnapshot,
    /// The leader accepts a voter change while another is in progress or the latest voter set is
    /// uncommitted (KIP-853: one change at a time).
    VoterChangeWhileUncommitted,
    /// A truncation keeps the voter sets of the Voters records it cut (KIP-853: they roll back).
    VoterSetNotRolledBack,
}

impl PlantedBug {
    pub const ALL: [PlantedBug; 19] = [
        PlantedBug::VoteWithoutLogCheck,
        PlantedBug::HighWatermarkFromFastest,
        PlantedBug::HighWatermarkFromMinority,
        PlantedBug::CommitBeforeOwnEpoch,
        PlantedBug::LeaderCountsUnflushed,
        PlantedBug::WinWithoutMajority,
        PlantedBug::VoteNotPersisted,
        PlantedBug::ListenerCommitNotAdvanced,
        PlantedBug::ListenerLeaderTooEarly,
        PlantedBug::AppendBatchOffByOne,
        PlantedBug::PanicOnFlush,
        PlantedBug::LeaderChangeNamesAnother,
        PlantedBug::DescribeHighWatermarkOffByOne,
        PlantedBug::LeaderNeverCommits,
        PlantedBug::RestartPersistsOlderEpoch,
        PlantedBug::FollowerResetsHighWatermark,
        PlantedBug::ListenerMissesLoadSnapshot,
        PlantedBug::VoterChangeWhileUncommitted,
        PlantedBug::VoterSetNotRolledBack,
    ];
}

thread_local! {
    /// Per thread, so tests (and seeds) running side by side pick their own bug.
    static ACTIVE: Cell<Option<PlantedBug>> = const { Cell::new(None) };
}

/// Makes `bug` active for every core driven on this thread from now on (`None`: no bug).
pub fn set_active(bug: Option<PlantedBug>) {
    ACTIVE.with(|active| active.set(bug));
}

/// The bug active on this thread.
pub fn active() -> Option<PlantedBug> {
    ACTIVE.with(Cell::get)
}

pub(crate) fn is_active(bug: PlantedBug) -> bool {
    active() == Some(bug)
}
