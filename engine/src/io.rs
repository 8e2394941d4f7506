//! Inputs the runtime feeds into the core and outputs it drains from it.

use crate::election::{ElectionState, SnapshotInfo};
use crate::message::{Request, Response, SnapshotId};
use crate::voters::ControlEntry;

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
    /// The response to the request `correlation_id` this node sent to `from` (the id of its
    /// `Output::Send`, echoed). Deliver each response once, per destination in send order (what
    /// one TCP connection gives), and never one to a request of an earlier `RaftNode` (a
    /// connection does not outlive its process). The core takes a response only when
    /// `correlation_id` names the request in flight to `from`: a late answer to a request that
    /// timed out or failed in the core is refused, whatever its API; duplicated and reordered
    /// responses are refused the same way.
    Response {
        from: i32,
        correlation_id: u64,
        response: Response,
    },
    /// The request `correlation_id` this node sent to `to` failed (at most one per
    /// `Output::Send`, like `Response`). Ignored unless that request is the one in flight.
    RequestFailed {
        to: i32,
        correlation_id: u64,
        error: RequestError,
    },
    /// The log of generation `generation` is durable below `flushed_end_offset`. The core takes
    /// it only when `generation` is the log's current one (the last `Output::Truncate`'s, 0
    /// before any): a flush of the log before a truncation says nothing about bytes written at
    /// the same offsets since, so a completion that raced a truncation is refused.
    LogFlushed {
        flushed_end_offset: i64,
        generation: u64,
    },
    /// Register a listener; it receives the current leader right after this input is processed.
    RegisterListener(ListenerId),
    UnregisterListener(ListenerId),
    /// Kafka's `resign(epoch)`: the leader of `epoch` steps down; ignored for other epochs.
    Resign {
        epoch: i32,
    },
    /// The runtime's state machine froze a snapshot of its committed state: `end_offset` at or
    /// below the high watermark the core reported (listeners' Commit ranges), `epoch` the epoch
    /// of the batch at `end_offset - 1`. The core serves it with FetchSnapshot and answers a Fetch
    /// below the log start with its id. A snapshot older than the latest one known is ignored.
    SnapshotFrozen {
        snapshot: SnapshotInfo,
    },
    /// Retention deleted the log below `start_offset` (the end offset of a frozen snapshot, at
    /// most the latest's). The core raises its log start and drops epoch-cache entries below it;
    /// from then on a Fetch below it is answered with the latest snapshot's id. A lower or equal
    /// start is ignored (the log start never goes back).
    LogStartAdvanced {
        start_offset: i64,
    },
    /// The `Output::LoadSnapshot` of `snapshot_id` and `generation` succeeded: the log now is the
    /// snapshot (start = end = its end offset) at generation `generation`. `kraft_control`: the
    /// KRaftVersion and Voters records the snapshot holds (offset: its end offset - 1), which
    /// replace the node's voter-set history.
    SnapshotLoaded {
        snapshot_id: SnapshotId,
        generation: u64,
        kraft_control: Vec<ControlEntry>,
    },
    /// The `Output::LoadSnapshot` of `snapshot_id` and `generation` failed its checks: the `.part`
    /// is deleted, the log and its generation are unchanged; the core fetches again.
    SnapshotLoadFailed {
        snapshot_id: SnapshotId,
        generation: u64,
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
    /// `handleLoadSnapshot`: the listener's next offset lies below the log start (a snapshot was
    /// downloaded, or retention passed it): load the state from snapshot `snapshot_id`, then
    /// commits continue from its end offset.
    LoadSnapshot { snapshot_id: SnapshotId },
}

/// One entry of the core's address book (see `Output::UpdatePeers`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerAddress {
    /// A node id, or a bootstrap server's -2, -3, ... (Kafka's numbering, in config order).
    pub id: i32,
    pub host: String,
    pub port: u16,
}

/// One action for the runtime. Outputs MUST be executed in the order they are drained, and a
/// `PersistElectionState` MUST be durable before any later output is executed ("persist before
/// act").
#[derive(Clone, Debug)]
pub enum Output {
    PersistElectionState(ElectionState),
    /// Send `request` to node `to`; its response comes back as `Input::Response { from: to,
    /// correlation_id, .. }` or its failure as `Input::RequestFailed { to, correlation_id, .. }`.
    /// `correlation_id` is unique among this `RaftNode`'s requests (a counter from 1); the
    /// runtime may use it as the Kafka wire correlation id or map it to its own.
    Send {
        to: i32,
        correlation_id: u64,
        request: Request,
    },
    /// Answer the inbound request `request_id` (a parked Fetch is answered later). A
    /// `Records::LogRange` that lies below the log start by the time the response is written
    /// (retention ran since) is sent as empty records, like one of a stale generation: the
    /// fetcher asks again and then gets the snapshot id.
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
    /// `Input::LogFlushed` with the log's generation. `generation` is the log's current one
    /// (every earlier `Truncate` was applied before this output, so the log is at it).
    Flush {
        up_to_offset: i64,
        generation: u64,
    },
    /// Remove every batch at or after `to_offset` (the new log end offset), then start
    /// generation `generation` (the previous one plus one): flush completions and
    /// `Records::LogRange`s carry it from now on. Bytes written at an offset in one generation
    /// are not the bytes at that offset in another.
    Truncate {
        to_offset: i64,
        generation: u64,
    },
    /// Follower/observer snapshot download: write `bytes` at `position` of the `.part` file of
    /// `snapshot_id` (`<offset:020>-<epoch:010>.checkpoint.part`). Chunks of one download come in
    /// order and contiguous; position 0 starts a new download (an existing `.part` of that id is
    /// truncated, and any other `.part` belongs to an abandoned download and may be deleted). A
    /// failed write makes the following `LoadSnapshot` fail. The log is not touched.
    WriteSnapshotChunk {
        snapshot_id: SnapshotId,
        position: i64,
        bytes: bytes::Bytes,
    },
    /// The download of `snapshot` is complete (`size_bytes` written). The runtime checks the whole
    /// `.part` (every batch's CRC-32C, header and footer control records, size), fsyncs it,
    /// renames it to `<offset:020>-<epoch:010>.checkpoint`, fsyncs the directory, then replaces
    /// the log with it (every segment deleted; log start = log end = the snapshot's end offset;
    /// generation `generation`, like a `Truncate`) and reports `Input::SnapshotLoaded`; or, when a
    /// check fails, deletes the `.part`, keeps the log and its generation, and reports
    /// `Input::SnapshotLoadFailed`. Until the report the core emits no output that touches the
    /// log (no append, flush or truncation) and never becomes leader: a crash at any point leaves
    /// the old log or the new snapshot. A leader never emits it.
    LoadSnapshot {
        snapshot: SnapshotInfo,
        generation: u64,
    },
    /// The whole address book the core may `Send` to from now on, replacing the previous one:
    /// the voters other than this node, the leader it learned, a would-be voter it asks
    /// ApiVersions, and the bootstrap servers under ids -2, -3, .... Emitted at start and whenever
    /// the book changes, before any `Send` that needs it. A `Send` to an id not in the book fails
    /// with `RequestError::Disconnected`; a peer whose address changed is reconnected.
    UpdatePeers {
        peers: Vec<PeerAddress>,
    },
    /// Deliver `event` to listener `id`.
    Listener {
        id: ListenerId,
        event: ListenerEvent,
    },
    /// A graceful shutdown finished; the runtime may stop driving the node.
    ShutdownComplete,
}
