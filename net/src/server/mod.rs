//! glommio TCP server: accepts connections on one listener, decodes requests, hands Raft
//! requests to a [`RequestHandler`] and writes the responses back in request order.
//!
//! Per connection there are two tasks: the reader splits frames and decodes them, the writer
//! awaits the responses in the order the requests arrived and writes them. Between them sits a
//! bounded queue (`max_in_flight_per_connection`), so a peer may pipeline requests while a parked
//! Fetch is pending, and a peer that never reads its responses stops being read from.
//!
//! ApiVersions is answered here without involving the core; a
//! request that cannot be read closes its connection, as Kafka's processor does (the rules are
//! in [`dispatch`]). Nothing a peer sends can affect another connection.

pub mod dispatch;
mod limits;
mod snapshot_write;
mod stats;
mod vectored;

pub use dispatch::{dispatch, dispatch_with, Dispatch, Reply};
pub use stats::ServerStats;
pub use vectored::write_all_vectored;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::unix::io::{AsRawFd, RawFd};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_lite::io::{ReadHalf, WriteHalf};
use futures_lite::{AsyncReadExt, FutureExt};
use glommio::channels::local_channel::{self, LocalReceiver, LocalSender};
use glommio::net::{TcpListener, TcpStream};
use kraft_message::{Records, Request, Response, SnapshotRecords};

use crate::addr::{bind_listener, split_host_port, HostResolver};
use crate::codec::fetch_response::encode_fetch_response_frame;
use crate::codec::{
    encode_response_frame, rejection_frame, FrameDecoder, KafkaResponse,
    DEFAULT_MAX_FRAME_SIZE_BYTES,
};
use crate::convert;
use crate::error::ConnectionRefused;
use crate::source::RecordSource;
use dispatch::ERROR_UNKNOWN_SERVER_ERROR;
use limits::{Activity, ConnectionQuotas, Slot};
use snapshot_write::write_fetch_snapshot;

/// Smallest and largest single read from a socket.
const READ_CHUNK_MIN_BYTES: usize = 16 * 1024;
const READ_CHUNK_MAX_BYTES: usize = 1024 * 1024;
/// Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_ERROR_PAUSE_MS: u64 = 10;

/// Requests one connection may have read but not answered. Kafka's processor mutes a channel
/// while one request is in flight; a Raft peer sends one request at a time anyway, so a small
/// bound only lets a client pipeline a little while a Fetch is parked.
pub const MAX_IN_FLIGHT_PER_CONNECTION: usize = 16;
/// Kafka's default `max.connections` and `max.connections.per.ip` (`Int.MaxValue`).
pub const DEFAULT_MAX_CONNECTIONS: u32 = i32::MAX as u32;
/// Kafka's default `connections.max.idle.ms` (10 minutes).
pub const DEFAULT_CONNECTIONS_MAX_IDLE_MS: u64 = 600_000;

/// Server settings for one listener.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Kafka listener name (e.g. `CONTROLLER`), passed to the handler with every request.
    pub listener_name: String,
    /// `host:port` to bind (IPv6 hosts in brackets; an empty host is every interface, as in
    /// Kafka); port 0 picks a free port (see [`Server::local_addr`]).
    pub bind_address: String,
    /// Largest accepted request frame (Kafka's `socket.request.max.bytes`).
    pub max_frame_size_bytes: usize,
    /// Requests of one connection read but not yet answered, at most (see the module docs).
    pub max_in_flight_per_connection: usize,
    /// Open connections of this listener, at most (Kafka's `max.connections`); one more is
    /// closed as soon as it is accepted.
    pub max_connections: u32,
    /// Open connections from one IP address, at most (Kafka's `max.connections.per.ip`).
    pub max_connections_per_ip: u32,
    /// A connection that neither read nor wrote a byte for this long is closed (Kafka's
    /// `connections.max.idle.ms`); `None` never closes one for idleness.
    pub connections_max_idle_ms: Option<u64>,
    /// Resolves a named host of `bind_address` (its first address is bound, as in Java).
    pub resolver: HostResolver,
}

impl ServerConfig {
    pub fn new(listener_name: impl Into<String>, bind_address: impl Into<String>) -> Self {
        ServerConfig {
            listener_name: listener_name.into(),
            bind_address: bind_address.into(),
            max_frame_size_bytes: DEFAULT_MAX_FRAME_SIZE_BYTES,
            max_in_flight_per_connection: MAX_IN_FLIGHT_PER_CONNECTION,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS,
            connections_max_idle_ms: Some(DEFAULT_CONNECTIONS_MAX_IDLE_MS),
            resolver: HostResolver::system(),
        }
    }
}

/// A Raft request as the core sees it, with where it came from.
#[derive(Clone, Debug)]
pub struct InboundRequest {
    /// Unique per accepted connection of this server.
    pub connection_id: u64,
    /// The listener the request arrived on (Java answers `NodeEndpoints` for that listener).
    pub listener_name: Rc<str>,
    pub correlation_id: i32,
    /// The version the response will be written at.
    pub api_version: i16,
    pub client_id: Option<String>,
    pub request: Request,
}

/// The core's eventual answer to one request; `None` closes the connection (for example when
/// the core is shutting down).
pub type ResponseFuture = Pin<Box<dyn Future<Output = Option<Response>>>>;

/// Implemented by the runtime: forwards a request to the Raft core and returns a future of its
/// response, which may complete much later (a parked Fetch). Called on the server's executor.
pub trait RequestHandler {
    fn handle(&self, request: InboundRequest) -> ResponseFuture;
}

/// One step for a connection's writer, queued in request order.
enum Pending {
    /// A frame net built itself (ApiVersions, error responses).
    Ready(BytesMut),
    /// Waiting for the core.
    Raft {
        api_key: i16,
        api_version: i16,
        correlation_id: i32,
        response: ResponseFuture,
    },
    /// Write everything queued before, then close.
    Close,
}

struct Shared<H, S> {
    config: ServerConfig,
    listener_name: Rc<str>,
    handler: Rc<H>,
    records: Rc<S>,
    stats: Rc<ServerStats>,
    /// See [`Server::finalized_kraft_version`].
    finalized_kraft_version: Rc<Cell<i16>>,
    /// Open connections, so that stopping the server can close them.
    connections: RefCell<HashMap<u64, RawFd>>,
    quotas: Rc<ConnectionQuotas>,
}

/// A bound listener; call [`Server::serve`] to run it on the current glommio executor.
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: ServerConfig,
    stats: Rc<ServerStats>,
    finalized_kraft_version: Rc<Cell<i16>>,
}

impl Server {
    /// Binds the listener. Must be called on a glommio executor.
    pub fn bind(config: ServerConfig) -> io::Result<Server> {
        if config.max_in_flight_per_connection == 0
            || config.max_connections == 0
            || config.max_connections_per_ip == 0
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "max_in_flight_per_connection, max_connections and max_connections_per_ip must \
                 each be at least 1",
            ));
        }
        let listener = split_host_port(&config.bind_address)
            .and_then(|(host, port)| bind_listener(host, port, &config.resolver))
            .map_err(|e| io::Error::other(format!("bind {}: {e}", config.bind_address)))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(Server {
            listener,
            local_addr,
            config,
            stats: Rc::new(ServerStats::default()),
            finalized_kraft_version: Rc::new(Cell::new(0)),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Counters of this server (connections, requests, record bytes sent/copied).
    pub fn stats(&self) -> Rc<ServerStats> {
        self.stats.clone()
    }

    /// The kraft.version level this node's ApiVersions answers report as finalized: 0 (the
    /// default, static voters) is left out as a Kafka controller leaves it out; 1 and up are
    /// listed in `FinalizedFeatures`. The runtime stores the core's kraft.version here when it
    /// changes (a single executor: a plain cell).
    pub fn finalized_kraft_version(&self) -> Rc<Cell<i16>> {
        self.finalized_kraft_version.clone()
    }

    /// Accepts and serves connections until `stop` completes; then closes every connection.
    pub async fn serve<H, S>(self, handler: Rc<H>, records: Rc<S>, stop: impl Future<Output = ()>)
    where
        H: RequestHandler + 'static,
        S: RecordSource + 'static,
    {
        let quotas = ConnectionQuotas::new(
            self.config.max_connections,
            self.config.max_connections_per_ip,
        );
        let shared = Rc::new(Shared {
            listener_name: Rc::from(self.config.listener_name.as_str()),
            config: self.config,
            handler,
            records,
            stats: self.stats,
            finalized_kraft_version: self.finalized_kraft_version,
            connections: RefCell::new(HashMap::new()),
            quotas,
        });
        let listener = self.listener;
        let accept_loop = async {
            let mut next_connection_id: u64 = 0;
            loop {
                match listener.accept().await {
                    Ok(stream) => match admit(&stream, &shared.quotas) {
                        Ok(slot) => {
                            next_connection_id += 1;
                            let stats = &shared.stats;
                            stats
                                .connections_accepted
                                .set(stats.connections_accepted.get() + 1);
                            let connection =
                                run_connection(stream, next_connection_id, slot, shared.clone());
                            glommio::spawn_local(connection).detach();
                        }
                        Err(refused) => {
                            tracing::warn!(error = %refused, "closing a new connection");
                            let stats = &shared.stats;
                            stats
                                .connections_refused
                                .set(stats.connections_refused.get() + 1);
                            // SAFETY: the stream owns the descriptor until it drops below;
                            // shutdown sends the FIN now, not whenever the close completes.
                            unsafe {
                                libc::shutdown(stream.as_raw_fd(), libc::SHUT_RDWR);
                            }
                        }
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        glommio::timer::sleep(Duration::from_millis(ACCEPT_ERROR_PAUSE_MS)).await;
                    }
                }
            }
        };
        accept_loop.or(stop).await;
        for (_, fd) in shared.connections.borrow_mut().drain() {
            // SAFETY: the fd belongs to a live connection task (it removes itself before its
            // stream is dropped); shutdown only wakes its reader and writer, which then exit.
            unsafe {
                libc::shutdown(fd, libc::SHUT_RDWR);
            }
        }
    }
}

/// Counts a new connection against `max.connections` and `max.connections.per.ip`.
fn admit(stream: &TcpStream, quotas: &Rc<ConnectionQuotas>) -> Result<Slot, ConnectionRefused> {
    let peer = stream
        .peer_addr()
        .map_err(|e| ConnectionRefused::NoPeerAddress {
            reason: e.to_string(),
        })?;
    quotas.admit(peer.ip())
}

async fn run_connection<H, S>(
    stream: TcpStream,
    connection_id: u64,
    slot: Slot,
    shared: Rc<Shared<H, S>>,
) where
    H: RequestHandler + 'static,
    S: RecordSource + 'static,
{
    // Responses are small and latency matters more than packet count.
    let _ = stream.set_nodelay(true);
    let fd = stream.as_raw_fd();
    shared.connections.borrow_mut().insert(connection_id, fd);
    let (mut reader, writer) = futures_lite::io::split(stream);
    let (tx, rx) = local_channel::new_bounded(shared.config.max_in_flight_per_connection);
    // Dropped by the reader when it stops, telling the writer not to wait for the core any more.
    let (reader_alive, reader_gone) = local_channel::new_bounded::<()>(1);
    let activity = Activity::new();
    let writer_task = glommio::spawn_local(write_loop(
        fd,
        writer,
        rx,
        reader_gone,
        activity.clone(),
        shared.clone(),
    ));
    let idle_ms = shared.config.connections_max_idle_ms;
    let expired = async {
        activity.idle_for(idle_ms).await;
        tracing::info!(connection_id, idle_ms, "closing idle connection");
        let stats = &shared.stats;
        stats.closed_idle.set(stats.closed_idle.get() + 1);
        // Dropping the reader (below) tells the writer to stop; this wakes it if it is
        // blocked writing to a peer that does not read.
        // SAFETY: the read half still holds the descriptor open.
        unsafe {
            libc::shutdown(fd, libc::SHUT_RDWR);
        }
    };
    read_loop(
        &mut reader,
        tx,
        reader_alive,
        connection_id,
        &activity,
        &shared,
    )
    .or(expired)
    .await;
    let writer = writer_task.await;
    // Deregister before the halves (and with them the descriptor) are dropped, so `serve`
    // never shuts down a descriptor number that may already belong to another socket.
    shared.connections.borrow_mut().remove(&connection_id);
    shared
        .stats
        .connections_closed
        .set(shared.stats.connections_closed.get() + 1);
    drop(writer);
    drop(reader);
    drop(slot);
}

async fn read_loop<H, S>(
    reader: &mut ReadHalf<TcpStream>,
    tx: LocalSender<Pending>,
    _alive: LocalSender<()>,
    connection_id: u64,
    activity: &Activity,
    shared: &Shared<H, S>,
) where
    H: RequestHandler + 'static,
    S: RecordSource + 'static,
{
    let decoder = FrameDecoder::new(shared.config.max_frame_size_bytes);
    let mut buf = BytesMut::new();
    loop {
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    let pending = prepare(connection_id, frame, shared);
                    let close = matches!(pending, Pending::Close);
                    if tx.send(pending).await.is_err() || close {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(connection_id, error = %e, "closing connection: bad frame");
                    shared
                        .stats
                        .closed_on_bad_frame
                        .set(shared.stats.closed_on_bad_frame.get() + 1);
                    let _ = tx.send(Pending::Close).await;
                    return;
                }
            }
        }
        // The prefix was validated by `decode`, so this is at most the maximum frame size.
        let needed = decoder.bytes_needed(&buf).unwrap_or(READ_CHUNK_MIN_BYTES);
        let want = needed
            .saturating_sub(buf.len())
            .clamp(READ_CHUNK_MIN_BYTES, READ_CHUNK_MAX_BYTES);
        let filled = buf.len();
        buf.resize(filled + want, 0);
        match reader.read(&mut buf[filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                activity.record();
                buf.truncate(filled + n);
            }
        }
    }
}

/// Turns one frame into the writer's next step (see [`dispatch`] for the rules).
fn prepare<H, S>(connection_id: u64, frame: Bytes, shared: &Shared<H, S>) -> Pending
where
    H: RequestHandler + 'static,
    S: RecordSource + 'static,
{
    let stats = &shared.stats;
    stats.requests.set(stats.requests.get() + 1);
    match dispatch_with(frame, shared.finalized_kraft_version.get()) {
        Dispatch::Core { header, request } => Pending::Raft {
            api_key: header.api_key,
            api_version: header.api_version,
            correlation_id: header.correlation_id,
            response: shared.handler.handle(InboundRequest {
                connection_id,
                listener_name: shared.listener_name.clone(),
                correlation_id: header.correlation_id,
                api_version: header.api_version,
                client_id: header.client_id,
                request,
            }),
        },
        Dispatch::Reply { frame, reply } => {
            if reply.is_rejection() {
                tracing::debug!(connection_id, ?reply, "answering with an error");
                stats
                    .rejected_requests
                    .set(stats.rejected_requests.get() + 1);
            }
            Pending::Ready(frame)
        }
        Dispatch::Close { reason } => {
            tracing::warn!(connection_id, error = %reason, "closing connection: unreadable request");
            stats
                .closed_on_bad_frame
                .set(stats.closed_on_bad_frame.get() + 1);
            Pending::Close
        }
    }
}

/// Returns the write half so the caller controls when the socket is closed.
async fn write_loop<H, S>(
    fd: RawFd,
    mut writer: WriteHalf<TcpStream>,
    rx: LocalReceiver<Pending>,
    reader_gone: LocalReceiver<()>,
    activity: Rc<Activity>,
    shared: Rc<Shared<H, S>>,
) -> WriteHalf<TcpStream>
where
    H: RequestHandler + 'static,
    S: RecordSource + 'static,
{
    while let Some(pending) = rx.recv().await {
        let result = match pending {
            Pending::Ready(frame) => write_all_vectored(fd, &mut writer, &mut [&frame[..]]).await,
            Pending::Raft {
                api_key,
                api_version,
                correlation_id,
                response,
            } => match response
                .or(async {
                    // Once the peer is gone nobody reads the answer: stop waiting (a parked
                    // Fetch would otherwise hold the connection until the core answers).
                    let _ = reader_gone.recv().await;
                    None
                })
                .await
            {
                None => break,
                Some(response) => {
                    write_response(
                        fd,
                        &mut writer,
                        &shared,
                        api_key,
                        api_version,
                        correlation_id,
                        response,
                    )
                    .await
                }
            },
            Pending::Close => break,
        };
        if result.is_err() {
            break;
        }
        activity.record();
    }
    // Wakes the reader if it is blocked in a read, so both tasks end.
    // SAFETY: `fd` is the connection's socket, kept open by the read half this task's sibling
    // still holds; shutdown does not close the descriptor.
    unsafe {
        libc::shutdown(fd, libc::SHUT_RDWR);
    }
    writer
}

async fn write_response<H, S>(
    fd: RawFd,
    writer: &mut WriteHalf<TcpStream>,
    shared: &Shared<H, S>,
    api_key: i16,
    api_version: i16,
    correlation_id: i32,
    response: Response,
) -> io::Result<usize>
where
    H: RequestHandler + 'static,
    S: RecordSource + 'static,
{
    if response.kind().api_key() != api_key {
        tracing::error!(
            api_key,
            answered = response.kind().api_key(),
            "core answered a request with a response of another api"
        );
        let frame = rejection_frame(
            api_key,
            api_version,
            correlation_id,
            ERROR_UNKNOWN_SERVER_ERROR,
        );
        return write_all_vectored(fd, writer, &mut [&frame[..]]).await;
    }
    match response {
        Response::Fetch(fetch) => {
            let log_slice;
            let records: &[u8] = match &fetch.records {
                Records::Empty => &[],
                Records::Bytes(bytes) => bytes,
                Records::LogRange {
                    from_offset,
                    max_bytes,
                    generation,
                } => {
                    log_slice =
                        shared
                            .records
                            .read_log(*from_offset, *max_bytes as usize, *generation);
                    log_slice.as_deref().unwrap_or(&[])
                }
            };
            match encode_fetch_response_frame(correlation_id, api_version, &fetch, records.len()) {
                Ok(frame) => {
                    let records = &records[..frame.records_len];
                    let stats = &shared.stats;
                    stats
                        .fetch_record_bytes_sent
                        .set(stats.fetch_record_bytes_sent.get() + records.len() as u64);
                    stats
                        .fetch_frame_bytes_sent
                        .set(stats.fetch_frame_bytes_sent.get() + frame.wire_len() as u64);
                    let built = (frame.prefix.len() + frame.suffix.len()) as u64;
                    stats
                        .fetch_frame_bytes_built
                        .set(stats.fetch_frame_bytes_built.get() + built);
                    write_all_vectored(
                        fd,
                        writer,
                        &mut [&frame.prefix[..], records, &frame.suffix[..]],
                    )
                    .await
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot encode Fetch response");
                    let frame = rejection_frame(
                        api_key,
                        api_version,
                        correlation_id,
                        ERROR_UNKNOWN_SERVER_ERROR,
                    );
                    write_all_vectored(fd, writer, &mut [&frame[..]]).await
                }
            }
        }
        Response::FetchSnapshot(snapshot) => {
            let (records, stats) = (&*shared.records, &*shared.stats);
            write_fetch_snapshot(
                fd,
                writer,
                records,
                stats,
                api_version,
                correlation_id,
                &snapshot,
            )
            .await
        }
        other => {
            let frame =
                other_response_frame(api_version, correlation_id, &other).unwrap_or_else(|| {
                    rejection_frame(
                        api_key,
                        api_version,
                        correlation_id,
                        ERROR_UNKNOWN_SERVER_ERROR,
                    )
                });
            write_all_vectored(fd, writer, &mut [&frame[..]]).await
        }
    }
}

/// Every response but Fetch goes through kafka-protocol's encoder.
fn other_response_frame(v: i16, correlation_id: i32, response: &Response) -> Option<BytesMut> {
    let body = match response {
        Response::FetchSnapshot(m) => {
            // Only reached for chunks already in memory; `write_fetch_snapshot` is the path.
            let bytes = match &m.unaligned_records {
                SnapshotRecords::Bytes(b) => b.clone(),
                _ => Bytes::new(),
            };
            KafkaResponse::FetchSnapshot(convert::fetch_snapshot::response_to_kafka(m, bytes, v))
        }
        Response::Fetch(m) => {
            let bytes = match &m.records {
                Records::Bytes(b) => b.clone(),
                _ => Bytes::new(),
            };
            KafkaResponse::Fetch(convert::fetch::response_to_kafka(m, bytes, v))
        }
        other => convert::response_to_kafka(other, v)?,
    };
    match encode_response_frame(correlation_id, v, &body) {
        Ok(frame) => Some(frame),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode response");
            None
        }
    }
}
