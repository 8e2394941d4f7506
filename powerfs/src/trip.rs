//! A trip wire: the power fails at the moment a process moves on from replacing a named file.
//!
//! Armed with a file name (e.g. `quorum-state`), the wire watches renames onto that name. After
//! one, the renaming thread's next mutating request decides: an fsync of the directory the rename
//! went into is applied and then the power fails; anything else fails at once, unapplied. From
//! then on every mutating request of every process fails with EIO (reads still work, so a test
//! can see what the process left visible), and nothing reaches the journal or the backing
//! directory until the test cuts the power. Armed with a suffix instead (e.g. `.checkpoint`), it
//! watches renames onto any name ending with it: for files whose final name is not known in
//! advance, such as a snapshot frozen from its `.checkpoint.part`. The state a process left visible when it moved on
//! from a replace-by-rename is the state it may have acted on (announced a vote, say): a power
//! cut right then must not lose it.

use std::ffi::{OsStr, OsString};

#[derive(Debug, Default)]
pub struct Trip {
    target: Option<Target>,
    state: TripState,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum TripState {
    #[default]
    Watching,
    /// `thread` renamed onto the target name in directory `dir`.
    Renamed {
        thread: u32,
        dir: u64,
    },
    Tripped,
}

/// The names whose replacement trips the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Name(OsString),
    Suffix(OsString),
}

impl Target {
    fn matches(&self, name: &OsStr) -> bool {
        match self {
            Target::Name(target) => target == name,
            Target::Suffix(suffix) => name.as_encoded_bytes().ends_with(suffix.as_encoded_bytes()),
        }
    }
}

/// What a mutating request is, as far as the wire cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    FsyncDir(u64),
    Other,
}

impl Trip {
    pub fn arm(&mut self, name: &OsStr) {
        self.target = Some(Target::Name(name.to_os_string()));
        self.state = TripState::Watching;
    }

    /// Watches renames onto any name ending with `suffix` (not empty).
    pub fn arm_suffix(&mut self, suffix: &OsStr) {
        assert!(
            !suffix.is_empty(),
            "an empty suffix would match every rename"
        );
        self.target = Some(Target::Suffix(suffix.to_os_string()));
        self.state = TripState::Watching;
    }

    pub fn tripped(&self) -> bool {
        self.state == TripState::Tripped
    }

    /// Whether a mutating request of `thread` may be applied (judged before it is).
    pub fn allows(&mut self, thread: u32, op: Op) -> bool {
        match self.state {
            TripState::Tripped => false,
            TripState::Renamed { thread: t, dir } if t == thread => {
                // The power fails now; only the fsync that completes the replace gets through.
                self.state = TripState::Tripped;
                op == Op::FsyncDir(dir)
            }
            _ => true,
        }
    }

    /// Called after a rename onto `name` in `dir` by `thread` was applied.
    pub fn renamed(&mut self, thread: u32, dir: u64, name: &OsStr) {
        let hit = self.target.as_ref().is_some_and(|t| t.matches(name));
        if self.state == TripState::Watching && hit {
            self.state = TripState::Renamed { thread, dir };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suffix_wire_trips_on_any_name_ending_with_it_and_no_other() {
        let mut trip = Trip::default();
        trip.arm_suffix(OsStr::new(".checkpoint"));
        trip.renamed(7, 1, OsStr::new("leader-epoch-checkpoint"));
        trip.renamed(
            7,
            1,
            OsStr::new("00000000000000000100-0000000001.checkpoint.part"),
        );
        assert!(trip.allows(7, Op::Other), "no match yet: nothing trips");
        trip.renamed(
            7,
            1,
            OsStr::new("00000000000000000100-0000000001.checkpoint"),
        );
        assert!(trip.allows(8, Op::Other), "another thread is not judged");
        assert!(
            trip.allows(7, Op::FsyncDir(1)),
            "the replace's directory fsync gets through"
        );
        assert!(trip.tripped());
        assert!(!trip.allows(8, Op::Other));
    }

    #[test]
    fn a_name_wire_ignores_other_names_with_the_same_suffix() {
        let mut trip = Trip::default();
        trip.arm(OsStr::new("quorum-state"));
        trip.renamed(3, 1, OsStr::new("old-quorum-state"));
        assert!(trip.allows(3, Op::Other));
        trip.renamed(3, 1, OsStr::new("quorum-state"));
        assert!(
            !trip.allows(3, Op::Other),
            "anything but the fsync fails, unapplied"
        );
        assert!(trip.tripped());
    }
}
