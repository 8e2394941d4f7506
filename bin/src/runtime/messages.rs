//! What the roles say to each other. Everything here is `Send`: it crosses executors.

use super::error::{ListenerError, LogRoleError};
use bytes::Bytes;
use kraft_driver::RetainedSnapshot;
use kraft_engine::message::{Request, Response, SnapshotId};
use kraft_engine::{ControlEntry, PeerAddress, RequestError, SnapshotInfo};

/// Raft loop -> segment log. Executed in order.
#[derive(Debug)]
pub enum LogCommand {
    /// Append one whole batch whose base offset is the log end offset.
    Append { base_offset: i64, bytes: Bytes },
    /// Make everything appended so far durable, then report `LogEvent::Flushed`. `generation`
    /// is the core's log generation, which the log is at (commands run in order).
    Flush { generation: u64 },
    /// Drop every batch at or after `to_offset`, then start log generation `generation`.
    Truncate { to_offset: i64, generation: u64 },
    /// No reader will read below `offset` any more: the log may drop those pages from the page
    /// cache (a hint; the bytes stay on disk).
    ReleaseCacheBelow { offset: i64 },
    /// The state machine froze this snapshot (the core was told first): retention may now move
    /// the log start up to it.
    SnapshotFrozen(RetainedSnapshot),
    /// `Output::WriteSnapshotChunk`: part of a follower's snapshot download.
    WriteSnapshotChunk {
        snapshot_id: SnapshotId,
        position: i64,
        bytes: Bytes,
    },
    /// `Output::LoadSnapshot`: check and freeze the download, reset the log to it.
    LoadSnapshot {
        snapshot: SnapshotInfo,
        generation: u64,
    },
    /// Flush and stop.
    Stop,
}

/// Segment log -> Raft loop.
#[derive(Debug)]
pub enum LogEvent {
    /// Everything below `flushed_end_offset` of the log of generation `generation` is durable
    /// (and readable through the log reader).
    Flushed {
        flushed_end_offset: i64,
        generation: u64,
    },
    /// Retention deleted the log below `start_offset` (`Input::LogStartAdvanced`).
    LogStartAdvanced { start_offset: i64 },
    /// The result of a `LoadSnapshot` (`Input::SnapshotLoaded` / `SnapshotLoadFailed`).
    SnapshotLoad {
        snapshot_id: SnapshotId,
        generation: u64,
        /// The loaded snapshot's KRaftVersion and Voters entries (at its end offset - 1);
        /// `None` when it was not loaded (`Input::SnapshotLoadFailed`).
        kraft_control: Option<Vec<ControlEntry>>,
    },
    /// The log cannot go on (I/O error, refused batch); the node must stop rather than lose data.
    Failed(LogRoleError),
    /// Answer to `Stop`.
    Stopped,
}

/// Raft loop -> network.
#[derive(Debug)]
pub enum NetCommand {
    /// `correlation_id` is the core's; the answer or failure echoes it.
    Send {
        to: i32,
        correlation_id: u64,
        request: Request,
    },
    Respond {
        request_id: u64,
        response: Response,
    },
    /// `Output::UpdatePeers`: the core's whole address book; a `Send` to an id not in it fails
    /// with `RequestError::Disconnected`.
    UpdatePeers(Vec<PeerAddress>),
    /// The core's kraft.version changed: what ApiVersions answers list as finalized.
    KRaftVersion(i16),
    Stop,
}

/// Network -> Raft loop.
#[derive(Debug)]
pub enum NetEvent {
    Request {
        request_id: u64,
        request: Request,
    },
    Response {
        from: i32,
        correlation_id: u64,
        response: Response,
    },
    RequestFailed {
        to: i32,
        correlation_id: u64,
        error: RequestError,
    },
    /// The listener could not be opened: without it the node cannot take part, so the Raft loop
    /// stops the node (its log closed cleanly) with this error.
    ListenerFailed(ListenerError),
}
