//! Shared pieces of the `cargo bench` targets: the hardware floor every other figure is divided
//! by, and the way histograms are printed.
//!
//! The floor is measured in the same run as the figure it divides, because this machine is shared
//! and noisy: a ratio against a baseline taken minutes earlier would measure the neighbours.

pub mod committed;
pub mod floor;
pub mod kafka_quorum;
pub mod plot;
pub mod print;
pub mod rust_quorum;
pub mod summary;

/// The process harness (ports, configs, child processes killed by PID, bounded waits) lives in
/// `kraft-interop`, which runs Kafka's processes with it; the benchmarks depend on that crate
/// (never the reverse), and the harness keeps its old path here for the tests that use it.
pub use kraft_interop::process;
