//! Voter sets (KIP-853): static voters (`controller.quorum.voters`, kraft.version 0) or the
//! voter set the log holds in Voters control records (kraft.version 1), by offset.

mod control;
mod history;
mod set;

pub use control::{control_entries, ControlEntry, ControlKind};
pub(crate) use history::VoterHistory;
pub use set::{VoterNode, VoterSet, VOTERS_RECORD_VERSION};
