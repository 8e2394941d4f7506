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
//! executed; `AppendBatch`/`Truncate` are applied to the log in order before a later `Respond`
//! that names a `Records::LogRange`; `Flush` is answered with `Input::LogFlushed` carrying the
//! log's durable end offset; `Send` responses come back as `Input::Response` or
//! `Input::RequestFailed`.
//!
//! Modules: [`message`] (Raft-level RPC types the network layer converts), [`config`],
//! [`election`] (persisted/restored state), [`io`] (inputs and outputs), `node` (the state
//! machine, one file per RPC/concern), `state` (one file per epoch state), `accumulator`,
//! `listener`, `connections`, `log` (in-memory log metadata), `rng`.

mod accumulator;
pub mod config;
mod connections;
pub mod election;
pub mod error;
pub mod io;
mod listener;
mod log;
pub mod message;
mod node;
mod rng;
/// Deterministic whole-quorum simulator (written against the public API above).
pub mod sim;
mod state;

pub use config::{RaftConfig, Voter};
pub use election::{ElectionState, RestoredState, SnapshotInfo};
pub use error::{AppendError, ConfigError, RestoreError};
pub use io::{Input, LeaderAndEpoch, ListenerEvent, ListenerId, Output, RequestError};
pub use kraft_records::{EpochEntry, Uuid};
pub use node::{NodeStatus, RaftNode, MAX_PENDING_OUTPUTS};
pub use state::StateName;
