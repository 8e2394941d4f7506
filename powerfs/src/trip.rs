//! A trip wire: the power fails at the moment a process moves on from replacing a named file.
//!
//! Armed with a file name (e.g. `quorum-state`), the wire watches renames onto that name. After
//! one, the renaming thread's next mutating request decides: an fsync of the directory the rename
//! went into is applied and then the power fails; anything else fails at once, unapplied. From
//! then on every mutating request of every process fails with EIO (reads still work, so a test
//! can see what the process left visible), and nothing reaches the journal or the backing
//! directory until the test cuts the power. The state a process left visible when it moved on
//! from a replace-by-rename is the state it may have acted on (announced a vote, say): a power
//! cut right then must not lose it.

use std::ffi::{OsStr, OsString};

#[derive(Debug, Default)]
pub struct Trip {
    target: Option<OsString>,
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

/// What a mutating request is, as far as the wire cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    FsyncDir(u64),
    Other,
}

impl Trip {
    pub fn arm(&mut self, name: &OsStr) {
        self.target = Some(name.to_os_string());
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
        if self.state == TripState::Watching && self.target.as_deref() == Some(name) {
            self.state = TripState::Renamed { thread, dir };
        }
    }
}
