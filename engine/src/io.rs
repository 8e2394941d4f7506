//! Inputs the runtime feeds into the core and outputs it drains from it.

use crate::election::ElectionState;
use crate::message::{Request, Response, SnapshotId};

/// Identifies a registered listener (chosen by the runtime).
pub type ListenerId = u64;

/// A leader (if known) and its epoch, as reported to listeners (Kafka's `LeaderAndEpoch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaderAndEpoch {
    pub leader_id: Option<i32>,
    pub epoch: i32,
}

/// Why an outbound request produced no response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// No response within the request timeout.
    Timeout,
    /// The connection failed or closed (Java maps this to BROKER_NOT_AVAILABLE).
    Disconnected,
    /// The peer does not support the needed API version.
    UnsupportedVersion,
}

/// One event for the core.
#[derive(Clone, Debug)]
pub enum Input {
    /// An inbound RPC; answer it with `Output::Respond` carrying the same `request_id`.
    Request {
        request_id: u64,
        request: Request,
    },
    /// The response to a request this node sent to `from`. Deliver each response once, per
    /// destination in send order (what one TCP connection gives). The core still tolerates late,
    /// reordered and duplicated responses: a response is taken only while a request of its API
    /// is in flight to `from`, and stale ones are recognized by epoch, log offsets and the
    /// leader's append-only log (randomized tests duplicate and reorder responses).
    Response {
        from: i32,
        response: Response,
    },
    /// The request this node sent to `to` failed (at most one per `Output::Send`, like
    /// `Response`).
    RequestFailed {
        to: i32,
        error: RequestError,
    },
    /// The log's durable end offset is now `flushed_end_offset` (the log layer lowers it on
    /// truncation, so a late completion never reports bytes that were truncated since).
    LogFlushed {
        flushed_end_offset: i64,
    },
    /// Register a listener; it receives the current leader right after this input is processed.
    RegisterListener(ListenerId),
    UnregisterListener(ListenerId),
    /// Kafka's `resign(epoch)`: the leader of `epoch` steps down; ignored for other epochs.
    Resign {
        epoch: i32,
    },
    /// Graceful shutdown: a leader resigns and sends EndQuorumEpoch; `Output::ShutdownComplete`
    /// follows when done or at the graceful shutdown timeout.
    Shutdown,
}

/// What a listener is told (Kafka's `RaftClient.Listener` callbacks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenerEvent {
    /// `handleLeaderChange`.
    LeaderChange(LeaderAndEpoch),
    /// `handleCommit`: the batches in `[from_offset, to_offset_exclusive)` are committed; the
    /// runtime reads them from the log and hands them over. Ranges are contiguous per listener,
    /// each offset delivered once, in order.
    Commit {
        from_offset: i64,
        to_offset_exclusive: i64,
    },
    /// `handleLoadSnapshot` (interface only for now): load the snapshot, then commits continue
    /// from its end offset.
    LoadSnapshot { snapshot_id: SnapshotId },
}

/// One action for the runtime. Outputs MUST be executed in the order they are drained, and a
/// `PersistElectionState` MUST be durable before any later output is executed ("persist before
/// act").
#[derive(Clone, Debug)]
pub enum Output {
    PersistElectionState(ElectionState),
    /// Send `request` to node `to`; its response comes back as `Input::Response { from: to, .. }`.
    Send {
        to: i32,
        request: Request,
    },
    /// Answer the inbound request `request_id` (a parked Fetch is answered later).
    Respond {
        request_id: u64,
        response: Response,
    },
    /// Append one whole batch (`bytes`) at the log end; `base_offset` equals the log end offset.
    AppendBatch {
        base_offset: i64,
        last_offset: i64,
        epoch: i32,
        bytes: bytes::Bytes,
    },
    /// Make the log durable up to `up_to_offset` (exclusive end offset), then report
    /// `Input::LogFlushed`.
    Flush {
        up_to_offset: i64,
    },
    /// Remove every batch at or after `to_offset` (the new log end offset).
    Truncate {
        to_offset: i64,
    },
    /// Deliver `event` to listener `id`.
    Listener {
        id: ListenerId,
        event: ListenerEvent,
    },
    /// A graceful shutdown finished; the runtime may stop driving the node.
    ShutdownComplete,
}
