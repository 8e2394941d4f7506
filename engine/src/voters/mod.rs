//! Voter sets (KIP-853): static voters (`controller.quorum.voters`, kraft.version 0) or the
//! voter set the log holds in Voters control records (kraft.version 1), by offset.

/// The offset of the bootstrap checkpoint's (0-0) control records.
pub const BOOTSTRAP_OFFSET: i64 = -1;

/// The kraft.version range this node supports (it writes and reads Voters records).
pub const SUPPORTED_KRAFT_VERSION_MIN: i16 = 0;
pub const SUPPORTED_KRAFT_VERSION_MAX: i16 = 1;

mod control;
mod history;
pub mod java_text;
mod set;

pub use control::{control_entries, ControlEntry, ControlKind};
pub(crate) use history::VoterHistory;
pub use set::{VoterNode, VoterSet, VOTERS_RECORD_VERSION};
