//! Apache Kafka's own code as the judge of compatibility: a harness that resolves Kafka's jars
//! with Maven (`interop/fetch-kafka.sh`), runs Kafka's `TestRaftServer` as a quorum member beside
//! ours, and runs Kafka's tools (`DumpLogSegments`, `kafka-metadata-quorum`) on our files and
//! endpoints. The tests that use it live in `bin/tests/interop_*.rs` (they need the server binary).
//!
//! The same crate holds the judge of our own files: `spec_reader` and `spec_log` read segment
//! files from the format alone (no code shared with the server), and `history` records what was
//! committed so that end-to-end tests can check it survived.
//!
//! Without Java or Maven the tests skip with a loud message; with `KRAFT_INTEROP_REQUIRED=1` (as
//! `.ci/run` sets) a skip is a failure.

pub mod dump;
pub mod dynamic;
pub mod format;
pub mod history;
pub mod kafka;
pub mod member;
pub mod process;
pub mod quorum;
pub mod spec_fault;
pub mod spec_log;
pub mod spec_reader;
pub mod tools;

pub use dynamic::{DynamicQuorum, Tool};
pub use format::Formatting;
pub use kafka::{Kafka, ToolOutput};
pub use member::{Kind, Member};
pub use quorum::{Quorum, QuorumState};
