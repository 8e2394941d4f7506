//! Deterministic simulation of whole KRaft quorums (issue 4).
//!
//! One u64 seed drives everything: the simulated network (`network`), the per-node disks (`disk`),
//! crashes and restarts, the workload and the seeds handed to each node's core. After every step
//! the `checker` verifies Raft's safety invariants, and liveness once the cluster has been calm for
//! long enough.

pub mod checker;
pub mod cluster;
pub mod disk;
pub mod network;
pub mod rng;
