//! The network role: kraft-net's server on the Raft listener, and one client connection per
//! peer of the core's address book (`net_peers.rs`). Requests go to the Raft loop with an id;
//! its answers come back by that id and the server writes them in request order per connection. Fetch responses that point into the log
//! (`Records::LogRange`) are written straight from the mmap slice by the server (no copy here),
//! when the log is at the range's generation (otherwise without records: kraft-driver's
//! `log_range_readable`). Outbound requests go through `net_peers.rs` (kraft-driver's
//! `PeerQueue` per peer and `FailureQueue`); the wire correlation id is the peer client's own.
//! The same rules run in the simulator (`kraft-sim`, `cluster/peers.rs`, `cluster/net_side.rs`).

use super::error::ListenerError;
use super::link::{Rx, Tx};
use super::messages::{NetCommand, NetEvent};
use super::net_peers::{Outbound, OutboundConfig};
use glommio::channels::local_channel::{self, LocalSender};
use kraft_config::ServerConfig;
use kraft_driver::log_range_readable;
use kraft_engine::message::{Response, SnapshotId};
use kraft_net::addr::join_host_port;
use kraft_net::server::{
    InboundRequest, RequestHandler, ResponseFuture, Server, ServerConfig as NetServerConfig,
    ServerStats,
};
use kraft_net::source::RecordSource;
use kraft_segment_log::{LogError, LogReader, LogSlice, SnapshotReader};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

pub struct NetParts {
    node_id: i32,
    listener_name: String,
    bind_address: String,
    max_frame_size_bytes: usize,
    max_connections: u32,
    max_connections_per_ip: u32,
    connections_max_idle_ms: Option<u64>,
    request_timeout_ms: u64,
    retry_backoff_ms: u64,
    peers: Vec<(i32, String)>,
    log_reader: LogReader,
    /// The partition directory, where the snapshots FetchSnapshot serves live.
    partition_dir: PathBuf,
}

impl NetParts {
    pub fn new(config: &ServerConfig, log_reader: LogReader, partition_dir: PathBuf) -> NetParts {
        let (host, port) = config.raft_listener();
        let peers = config
            .voters()
            .iter()
            .filter(|v| v.id != config.node_id)
            .map(|v| (v.id, join_host_port(&v.host, v.port)))
            .collect();
        NetParts {
            node_id: config.node_id,
            listener_name: config.raft_listener_name().to_string(),
            // An empty host stays empty: the server binds every interface, as Kafka does.
            bind_address: join_host_port(host, port),
            max_frame_size_bytes: config.socket_request_max_bytes as usize,
            max_connections: config.max_connections,
            max_connections_per_ip: config.max_connections_per_ip,
            connections_max_idle_ms: config.connections_max_idle_ms,
            request_timeout_ms: u64::from(config.quorum.request_timeout_ms),
            retry_backoff_ms: u64::from(config.quorum.retry_backoff_ms),
            peers,
            log_reader,
            partition_dir,
        }
    }

    pub async fn run(self, commands: Rx<NetCommand>, events: Tx<NetEvent>) {
        let events = Rc::new(events);
        let mut server_config =
            NetServerConfig::new(self.listener_name.clone(), self.bind_address.clone());
        server_config.max_frame_size_bytes = self.max_frame_size_bytes;
        server_config.max_connections = self.max_connections;
        server_config.max_connections_per_ip = self.max_connections_per_ip;
        server_config.connections_max_idle_ms = self.connections_max_idle_ms;
        let server = match Server::bind(server_config) {
            Ok(server) => server,
            Err(source) => {
                let error = ListenerError {
                    address: self.bind_address.clone(),
                    source,
                };
                // No command is taken from here on: close the command link first, so a Raft loop
                // blocked on sending to it wakes up (and reads this reason) instead of waiting
                // on this send while it waits on the Raft loop.
                drop(commands);
                // The Raft loop ends the node; if it is gone already there is no one to tell.
                let _ = events.send(NetEvent::ListenerFailed(error)).await;
                return;
            }
        };
        let stats = server.stats();
        let finalized_kraft_version = server.finalized_kraft_version();
        tracing::info!(
            "listening on {} ({})",
            server.local_addr(),
            self.listener_name
        );
        let handler = Rc::new(Handler {
            events: events.clone(),
            next_request_id: Cell::new(1),
            pending: RefCell::new(HashMap::new()),
        });
        let records = Rc::new(LogRecords {
            log: self.log_reader.clone(),
            partition_dir: self.partition_dir.clone(),
        });
        let (stop_tx, stop_rx) = local_channel::new_bounded::<()>(1);
        let server_task = glommio::spawn_local({
            let handler = handler.clone();
            async move {
                server
                    .serve(handler, records, async move {
                        let _ = stop_rx.recv().await;
                    })
                    .await
            }
        });

        let mut outbound = Outbound::spawn(&self.outbound_config(), events.clone());
        while let Some(command) = commands.recv().await {
            match command {
                NetCommand::Respond {
                    request_id,
                    response,
                } => handler.respond(request_id, response),
                NetCommand::Send {
                    to,
                    correlation_id,
                    request,
                } => outbound.send(to, correlation_id, request),
                NetCommand::UpdatePeers(peers) => outbound.update_peers(&peers),
                NetCommand::KRaftVersion(level) => finalized_kraft_version.set(level),
                NetCommand::Stop => break,
            }
        }
        let _ = stop_tx.send(()).await;
        server_task.await;
        // The queued failures go out before the role ends (the Raft loop reads events until it
        // is gone; then the reporter's send fails and it ends too).
        outbound.close().await;
        log_stats(&stats);
    }
}

impl NetParts {
    fn outbound_config(&self) -> OutboundConfig {
        OutboundConfig {
            node_id: self.node_id,
            peers: self.peers.clone(),
            request_timeout_ms: self.request_timeout_ms,
            retry_backoff_ms: self.retry_backoff_ms,
        }
    }
}

/// The copy accounting of the leader's Fetch path, read by the end-to-end benchmark.
fn log_stats(stats: &ServerStats) {
    tracing::info!(
        fetch_record_bytes_sent = stats.fetch_record_bytes_sent.get(),
        fetch_record_bytes_copied = stats.fetch_record_bytes_copied.get(),
        fetch_frame_bytes_built = stats.fetch_frame_bytes_built.get(),
        requests = stats.requests.get(),
        rejected_requests = stats.rejected_requests.get(),
        closed_on_bad_frame = stats.closed_on_bad_frame.get(),
        connections_refused = stats.connections_refused.get(),
        closed_idle = stats.closed_idle.get(),
        "network stats"
    );
}

/// Forwards inbound requests to the Raft loop and resolves each with the loop's answer.
struct Handler {
    events: Rc<Tx<NetEvent>>,
    next_request_id: Cell<u64>,
    pending: RefCell<HashMap<u64, LocalSender<Response>>>,
}

impl Handler {
    fn respond(&self, request_id: u64, response: Response) {
        if let Some(waiter) = self.pending.borrow_mut().remove(&request_id) {
            // The connection may be gone already; then nobody waits for this answer.
            let _ = waiter.try_send(response);
        }
    }
}

impl RequestHandler for Handler {
    fn handle(&self, request: InboundRequest) -> ResponseFuture {
        let request_id = self.next_request_id.get();
        self.next_request_id.set(request_id + 1);
        let (tx, rx) = local_channel::new_bounded(1);
        self.pending.borrow_mut().insert(request_id, tx);
        let events = self.events.clone();
        Box::pin(async move {
            events
                .send(NetEvent::Request {
                    request_id,
                    request: request.request,
                })
                .await
                .ok()?;
            rx.recv().await
        })
    }
}

/// The log and the snapshots as the server's record source: zero-copy slices of their mmaps.
struct LogRecords {
    log: LogReader,
    partition_dir: PathBuf,
}

/// Bytes of a segment or of a snapshot file, borrowed from its mapping (kept alive by the slice).
enum SourceSlice {
    Log(LogSlice),
    Snapshot {
        file: Arc<SnapshotReader>,
        start: usize,
        end: usize,
    },
}

impl Deref for SourceSlice {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            SourceSlice::Log(slice) => slice,
            SourceSlice::Snapshot { file, start, end } => &file.bytes()[*start..*end],
        }
    }
}

impl RecordSource for LogRecords {
    type Slice = SourceSlice;

    fn read_log(&self, from_offset: i64, max_bytes: usize, generation: u64) -> Option<SourceSlice> {
        // The log must be in the range's generation before and after the read (a truncation
        // during it may have cut these bytes): otherwise the log role has not applied the core's
        // truncation yet, or truncated since, and the bytes there are not the ones the core
        // meant. The follower fetches again.
        let readable = || log_range_readable(generation, self.log.generation());
        if !readable() {
            tracing::debug!(
                from_offset,
                generation,
                log_generation = self.log.generation(),
                "Fetch response sent without records"
            );
            return None;
        }
        let slice = match self.log.read(from_offset, max_bytes) {
            Ok(slice) => slice.map(SourceSlice::Log),
            Err(error @ LogError::OutOfRange { .. })
                if from_offset < self.log.log_start_offset() =>
            {
                // Retention deleted the range after the core answered: the follower fetches
                // again and is then told the snapshot id.
                tracing::debug!(%error, from_offset, "Fetch response below the log start sent without records");
                return None;
            }
            Err(error) => {
                tracing::warn!(%error, from_offset, "cannot read the log for a Fetch response");
                return None;
            }
        };
        if !readable() {
            tracing::debug!(from_offset, generation, "log truncated during a Fetch read");
            return None;
        }
        slice
    }

    /// FetchSnapshot from the frozen file's mapping (no copy in user space). Opened per request:
    /// a snapshot retention deleted since the core answered is simply gone (`None`).
    fn read_snapshot(
        &self,
        snapshot_id: SnapshotId,
        position: i64,
        length: usize,
    ) -> Option<SourceSlice> {
        let id = kraft_segment_log::SnapshotId {
            end_offset: snapshot_id.end_offset,
            epoch: snapshot_id.epoch,
        };
        let file = match SnapshotReader::open(&id.path_in(&self.partition_dir)) {
            Ok(file) => file,
            Err(error) => {
                tracing::debug!(%error, snapshot = %id, "snapshot to serve is gone");
                return None;
            }
        };
        let start = usize::try_from(position).ok()?;
        let end = file.read_at(start as u64, length).ok()?.len() + start;
        Some(SourceSlice::Snapshot {
            file: Arc::new(file),
            start,
            end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::LogRecords;
    use crate::runtime::tests::batch;
    use kraft_net::source::RecordSource;
    use kraft_records::BatchIter;
    use kraft_segment_log::{LogConfig, SegmentLog};

    /// Epoch of the first batch the server would write for a Fetch response's log range.
    fn served_epoch(records: &LogRecords, from_offset: i64, generation: u64) -> Option<i32> {
        let slice = records.read_log(from_offset, 1 << 20, generation)?;
        let batch = BatchIter::new(&slice).next()?.ok()?;
        Some(batch.header.partition_leader_epoch)
    }

    /// The server's record source reads a range only in its generation: a core that truncated
    /// (generation 1) and answers a Fetch before the log role applied the cut gets no records,
    /// not the epoch-3 bytes the core cut; a range of the old generation is refused once the log
    /// moved on.
    #[test]
    fn a_log_range_is_served_only_in_its_generation() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("__raft_performance_test-0");
        let (mut log, _) = SegmentLog::open(&dir, LogConfig::default()).unwrap();
        for base in 0..6 {
            log.append_fetched(&batch(base, 3)).unwrap();
        }
        let records = LogRecords {
            log: log.reader(),
            partition_dir: dir.clone(),
        };
        assert_eq!(served_epoch(&records, 3, 0), Some(3));
        assert_eq!(
            served_epoch(&records, 3, 1),
            None,
            "a range of generation 1 served bytes of generation 0"
        );
        log.truncate_to(3).unwrap();
        log.start_generation(1);
        log.append_fetched(&batch(3, 5)).unwrap();
        assert_eq!(served_epoch(&records, 3, 1), Some(5));
        assert_eq!(served_epoch(&records, 0, 1), Some(3), "the kept prefix");
        assert_eq!(served_epoch(&records, 3, 0), None, "truncated since");
    }
}
