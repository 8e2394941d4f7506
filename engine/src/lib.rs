//! kraft-engine: the sans-IO KRaft core.
//!
//! The core is a pure state machine: no sockets, files, clocks, threads or random sources. The
//! runtime (or the simulator) drives one [`RaftNode`] like this:
//!
//! ```text
//! let mut node = RaftNode::new(config, restored, now_ms, seed)?;   // emits PersistElectionState
//! loop {
//!     // 1. feed one event:  node.step(now_ms, Input::...)   or   node.tick(now_ms)
//!     //    local appends:   node.append(now_ms, epoch, value) -> offset
//!     // 2. drain outputs and execute them strictly in order:
//!     while let Some(output) = node.poll_output() { ... }
//!     // 3. sleep until node.next_deadline_ms() or the next input
//! }
//! ```
//!
//! Output contract (see [`Output`]): `PersistElectionState` is durable before any later output is
//! executed; `AppendBatch`/`Truncate` go to the log in order; `Flush` is answered with
//! `Input::LogFlushed` carrying the log's durable end offset; `Send` responses come back as
//! `Input::Response` or `Input::RequestFailed`.
//!
//! Ordering is explicit where the runtime's roles run concurrently (the log, the network and the
//! core each on their own queue), so the core never relies on the timing between them:
//! - **Correlation ids.** Each `Output::Send` carries a correlation id the core chose (a counter,
//!   unique within one `RaftNode`); `Input::Response` and `Input::RequestFailed` echo it, and the
//!   core takes one only for the request in flight to that peer. A late answer (or failure
//!   report) of a request the core already timed out is refused, not taken as its retry's.
//! - **Log generation.** The core numbers the log's generations: 0 at start, plus one at every
//!   `Output::Truncate` and at every successful `Output::LoadSnapshot` (each names the generation
//!   it starts). `Output::Flush`, `Input::LogFlushed` and
//!   `Records::LogRange` carry it. A flush completion of an older generation is refused (it
//!   covered the bytes cut since, not those written again at the same offsets), and a LogRange
//!   is resolved into bytes only while the log is at its generation: a log that has not applied
//!   the truncation yet still holds the old bytes there, and one truncated since holds others.
//!   The runtime then sends the Fetch response without records (what a parked Fetch that expired
//!   gets), and the follower fetches again.
//!
//! Time: `now_ms` is any non-decreasing millisecond clock (the core keeps the latest value it
//! saw); batch timestamps and DescribeQuorum timestamps use it, so unix-epoch milliseconds are a
//! good choice. Randomness (election timeouts, backoffs, bootstrap choice) comes only from the
//! seed given to [`RaftNode::new`]: the same seed and inputs replay exactly.
//!
//! Drain outputs after `append` too: a full batch is handed to the log at once.
//!
//! Behaviour follows Kafka's `KafkaRaftClient` (spec `KRAFT.md`): the baseline (3.9) RPC rules
//! and, with `RaftConfig::pre_vote` (default on), Kafka 4.x's pre-vote election flow
//! (Unattached/Follower -> Prospective -> Candidate; a timed-out Candidate goes back to
//! Prospective; Resigned -> Unattached(epoch + 1)). With `pre_vote` off, the 3.9 flow
//! (Candidate with random backoff) is used.
//!
//! Snapshots (KIP-630): the runtime reports frozen snapshots (`Input::SnapshotFrozen`) and
//! retention (`Input::LogStartAdvanced`); the leader serves FetchSnapshot and answers a Fetch
//! below its log start with the snapshot id; a follower or observer downloads it
//! (`Output::WriteSnapshotChunk`, `Output::LoadSnapshot`, `Input::SnapshotLoaded`).
//!
//! Voter sets (KIP-853, module [`voters`]): with `RaftConfig::voters` set the quorum is static
//! (kraft.version 0) and nothing below applies. With none, the quorum is dynamic
//! (kraft.version 1): the voter set comes from `RestoredState::kraft_control` (the bootstrap
//! checkpoint's records, the latest snapshot's, the log's) and from the KRaftVersion and Voters
//! records of every control batch appended afterwards (fetched or the leader's own). A voter set
//! is in force once appended, rolled back when a truncation removes it, trimmed to the entry in
//! force at the log start, and replaced by a loaded snapshot's (`Input::SnapshotLoaded`).
//! Voters are replica keys (id and directory id): Vote and BeginQuorumEpoch carry the
//! receiver's directory id (INVALID_VOTER_KEY when it is not this replica's), and a Fetch from
//! the right id with another directory is an observer's. Majorities, the high watermark, vote
//! counting, BeginQuorumEpoch, DescribeQuorum and DescribeCluster use the latest voter set; a
//! replica outside it is an observer and never starts an election; one that joins it acts as a
//! voter from the append on. A new leader writes, as Kafka 4.4's
//! `appendStartOfEpochControlRecords`, one batch with its LeaderChange and, at kraft.version 1
//! when the voter set still is the bootstrap checkpoint's or its own entry is out of date, a
//! KRaftVersion and a Voters record.
//!
//! The leader handles AddRaftVoter (v0, v1 AckWhenCommitted), RemoveRaftVoter and
//! UpdateRaftVoter as Kafka's handlers do (`node/voter_change*.rs`): one uncommitted change at
//! a time, the epoch's first batch committed, a new voter that is a caught-up observer and
//! answers ApiVersions with a kraft.version range holding the finalized one, Kafka's codes and
//! messages for every refusal, REQUEST_TIMED_OUT at the deadline, and a leader that removed
//! itself resigning once the change commits. Followers send UpdateRaftVoter when their entry is
//! out of date; with `auto_join` an observer adds itself (`node/voter_join.rs`), but never right
//! after an operator removed it (KAFKA-19850, which Kafka 4.4 does not fix: this node stops
//! auto-joining once it sees its own replica key leave the voter set). Without a known leader a
//! node asks the bootstrap servers (ids -2, -3, ...) with Fetch; `Output::UpdatePeers` keeps the
//! runtime's address book (voters, a learned leader, a would-be voter, bootstrap servers).
//!
//! Tests (`tests/core_*.rs`), by Raft paper section / KRaft behaviour:
//! - §5.2 leader election, one vote per term, persist before acting: `core_vote.rs`
//!   (grant persisted before the response, refusal after restart, candidate self-vote durable
//!   before asking, majority win/loss, backoff), `core_lifecycle.rs` (startup rules of spec 2.2).
//! - §5.4.1 election restriction (last epoch, then offset): `core_vote.rs`.
//! - KIP-996 pre-vote: `core_vote.rs` (nothing persisted, fetched follower and leader refuse,
//!   Vote v2 fallback, Candidate timeout back to Prospective).
//! - §5.3 log replication via Fetch, DivergingEpoch truncation, flush before fetch, follower HW:
//!   `core_follower.rs`; leader side, long poll, SnapshotId, FetchSnapshot: `core_fetch.rs`.
//! - §5.4.2 commit only with a record of the current epoch, leader counts its flushed offset
//!   (spec 5.1): `core_fetch.rs`, `core_cluster.rs`.
//! - BeginQuorumEpoch / EndQuorumEpoch, preferred successors: `core_quorum_epoch.rs`.
//! - What Kafka's admin client asks a controller (KIP-919): DescribeCluster (voters, the known
//!   leader as active controller, endpoint-type errors) and DescribeQuorum for
//!   `__cluster_metadata`-0: `core_describe.rs`.
//! - Listeners (spec 5.3, KAFKA-16286 registration regression, KAFKA-15345, KAFKA-17333),
//!   graceful shutdown (spec 2.9), determinism: `core_lifecycle.rs`.
//! - Every handler's error codes (INCONSISTENT_CLUSTER_ID, INVALID_REQUEST, FENCED_LEADER_EPOCH,
//!   UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER, BROKER_NOT_AVAILABLE, INVALID_VOTER_KEY,
//!   UNKNOWN_TOPIC_OR_PARTITION, SNAPSHOT_NOT_FOUND, POSITION_OUT_OF_RANGE): the files above.
//! - Whole quorums with loss, reordering, partitions, crashes losing unflushed data:
//!   `core_cluster.rs`, `core_random.rs` (`CORE_RANDOM_SEEDS=N` runs more seeds).
//! - Ordering with the runtime (correlation ids, log generations): `core_ordering.rs`.
//! - KIP-853 dynamic quorums: `core_reconfig.rs` (start-of-epoch records, observers via the
//!   bootstrap servers, DescribeQuorum/DescribeCluster, history trimmed and replaced by
//!   snapshots), `core_reconfig_rpcs.rs` (AddRaftVoter/RemoveRaftVoter accepted and refused
//!   with each code, one change at a time, AckWhenCommitted, self-removal resigns, a removed
//!   voter stays quiet), `core_reconfig_follower.rs` (UpdateRaftVoter, truncation rolls a
//!   voter set back, auto-join and KAFKA-19850, elections after growing, static refusals).
//! - Snapshots (KIP-630): frozen snapshots served, retention and the log start, restore checks:
//!   `core_snapshot.rs`; the follower's download (chunk checks, SNAPSHOT_NOT_FOUND and
//!   POSITION_OUT_OF_RANGE restart it, an epoch change drops it, load and failed load, no
//!   election while loading): `core_snapshot_download.rs`.
//!
//! Modules: [`message`] (the `kraft-message` crate re-exported: Raft-level RPC types the network
//! layer converts), [`config`], [`election`] (persisted/restored state), [`io`] (inputs and
//! outputs), `node` (the state machine, one file per RPC/concern), `state` (one file per epoch
//! state), `accumulator`, `listener`, `connections`, `log` (in-memory log metadata), `rng`, and
//! with the `planted-bugs` feature (tests only) `planted`: deliberate bugs the simulator's tests
//! switch on one at a time to show its checker catches them. The deterministic whole-quorum
//! simulator is the separate dev-only crate `kraft-sim` (`sim/`), written against this public API.

/// `planted!(Bug)`: whether that deliberate bug is active on this thread (feature
/// `planted-bugs`); `false`, a constant, in every normal build.
#[cfg(feature = "planted-bugs")]
macro_rules! planted {
    ($bug:ident) => {
        $crate::planted::is_active($crate::planted::PlantedBug::$bug)
    };
}
#[cfg(not(feature = "planted-bugs"))]
macro_rules! planted {
    ($bug:ident) => {
        false
    };
}

mod accumulator;
pub mod config;
mod connections;
pub mod election;
pub mod error;
pub mod io;
mod listener;
mod log;
mod node;
#[cfg(feature = "planted-bugs")]
pub mod planted;
mod rng;
mod state;
pub mod voters;

pub use config::{RaftConfig, Voter};
pub use election::{ElectionState, RestoredState, SnapshotInfo};
pub use error::{AppendError, ConfigError, RestoreError, VoterSetError};
pub use io::{Input, LeaderAndEpoch, ListenerEvent, ListenerId, Output, PeerAddress, RequestError};
pub use kraft_message as message;
pub use kraft_records::{EpochEntry, Uuid};
pub use node::{NodeStatus, RaftNode, SnapshotProgress, MAX_PENDING_OUTPUTS};
pub use state::StateName;
pub use voters::{ControlEntry, ControlKind, VoterNode, VoterSet};
