//! Deterministic simulation of whole KRaft quorums (issue 4).
//!
//! One u64 seed drives everything: the simulated network (`network`: delay, loss, duplication,
//! reordering, partitions), the per-node disks (`disk`: unflushed writes lost or torn on a crash,
//! atomic quorum-state writes that complete later), crashes, pauses and restarts, the workload and the seeds handed to each
//! node's core (`cluster`). After every step the `checker` verifies Raft's safety invariants, and
//! liveness once the cluster has been calm for long enough. The same seed replays exactly.
//!
//! Running it:
//!
//! ```text
//! cargo test --release -p kraft-sim --test sim            # seeds 0..1000, one summary line
//! SIM_START=5000 SIM_SEEDS=100000 cargo test --release -p kraft-sim --test sim simulation
//! SIM_START=123 SIM_SEEDS=1 SIM_TRACE=5000 cargo test --release -p kraft-sim --test sim simulation
//! ```
//!
//! The summary line is `simulation: N seeds, M steps, V violations; ...` followed by what the
//! dynamic-quorum seeds did (voters added, removed, replaced with a wiped disk, auto-joined); a
//! failing seed prints its violations and the command replaying it; `SIM_TRACE=N` prints its
//! last N events.
//!
//! Dynamic quorums (issue 16, KIP-853): `SimOptions::dynamic` formats the nodes as
//! `kraft-storage format` does (initial controllers with the bootstrap Voters record, spares
//! without) and runs an operator (`cluster/operator.rs`) that adds, removes and replaces voters
//! (a replacement wipes the disk: new directory id) through AddRaftVoter/RemoveRaftVoter;
//! `cluster/dynamic.rs` holds the formatting, the control entries restored at start and the
//! address book, `cluster/membership.rs` and `checker/membership.rs` the voter-set invariants.
//!
//! `tests/planted.rs` turns on one of kraft-engine's planted bugs at a time (feature
//! `planted-bugs`, enabled by this crate's dev-dependency) and expects the invariant it breaks to be
//! reported within a few seeds: the checker is shown to fire on whole runs, not only on the
//! hand-made histories of its self-tests. `tests/planted_runtime.rs` does the same for bugs in
//! the runtime's log, quorum-state and network sides, which the simulator runs through the same
//! `kraft_driver::LogPipeline` as the server's log role (`cluster/log_side.rs`) and the same
//! `kraft_driver::OutputGate` as its Raft loop (`cluster/election_side.rs`; quorum-state writes
//! durable only when their seeded completion arrives, lost in a crash before it), and the same
//! network-side rules as its net role (`cluster/peers.rs`, `cluster/net_side.rs`:
//! `kraft_driver::PeerQueue`, `FailureQueue`, `log_range_readable`).
//!
//! In code: `cluster::run_seed(seed, trace_lines)` or `cluster::Cluster::new(options).run()`
//! return a `cluster::SimOutcome`.

pub mod checker;
pub mod cluster;
pub mod disk;
pub mod network;
pub mod rng;
pub mod snapshots;
