//! Real sockets on 127.0.0.1: a PeerClient talks to a Server whose handler is a stub core.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::TcpStream;
use glommio::{LocalExecutorBuilder, Placement};
use kafka_protocol::messages::ApiVersionsResponse;
use kafka_protocol::protocol::Decodable;
use kraft_message::{
    AddRaftVoterRequest, AddRaftVoterResponse, ApiVersionsRequest, EpochEndOffset, ErrorCode,
    FetchRequest, FetchResponse, LeaderEndpoint, LeaderIdAndEpoch, Records, Request, Response,
    SnapshotId, Uuid, VoteRequest, VoteResponse,
};
use kraft_net::client::{ClientConfig, PeerClient};
use kraft_net::error::ClientError;
use kraft_net::server::{InboundRequest, RequestHandler, ResponseFuture, Server, ServerConfig};
use kraft_net::source::RecordSource;

const TOPIC: &str = "__raft_performance_test";
/// Bound of every raw socket read here: the server answers (or closes) within milliseconds, so a
/// read that waits this long means it went silent, and the test fails instead of hanging.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Log of the stub: 100 bytes standing in for batches, offset `o` starting at byte `o`.
const LOG: [u8; 100] = {
    let mut log = [0u8; 100];
    let mut i = 0;
    while i < 100 {
        log[i] = i as u8;
        i += 1;
    }
    log
};

/// The stub log's generation: a range of any other one is refused.
const LOG_GENERATION: u64 = 0;

struct StubLog;

impl RecordSource for StubLog {
    type Slice = &'static [u8];
    fn read_log(
        &self,
        from_offset: i64,
        max_bytes: usize,
        generation: u64,
    ) -> Option<&'static [u8]> {
        if generation != LOG_GENERATION {
            return None;
        }
        let start = usize::try_from(from_offset).ok()?;
        let slice = LOG.get(start..)?;
        Some(&slice[..max_bytes.min(slice.len())])
    }
    fn read_snapshot(&self, _: SnapshotId, _: i64, _: usize) -> Option<&'static [u8]> {
        None
    }
}

/// Grants every vote; answers Fetch with a log range after `max_wait_ms` (a parked fetch), of the
/// log generation the fetcher names as its last fetched epoch (so tests can ask for another).
struct StubCore {
    handled: Cell<u32>,
}

impl RequestHandler for StubCore {
    fn handle(&self, inbound: InboundRequest) -> ResponseFuture {
        self.handled.set(self.handled.get() + 1);
        Box::pin(async move {
            match inbound.request {
                Request::Vote(v) => Some(Response::Vote(VoteResponse {
                    error_code: ErrorCode::NONE,
                    topic_name: v.topic_name,
                    partition: v.partition,
                    partition_error_code: ErrorCode::NONE,
                    leader_id: -1,
                    leader_epoch: v.candidate_epoch,
                    vote_granted: true,
                    node_endpoints: Vec::new(),
                })),
                Request::Fetch(f) => {
                    if f.max_wait_ms > 0 {
                        glommio::timer::sleep(Duration::from_millis(f.max_wait_ms as u64)).await;
                    }
                    Some(Response::Fetch(FetchResponse {
                        throttle_time_ms: 0,
                        error_code: ErrorCode::NONE,
                        topic_id: f.topic_id,
                        partition: f.partition,
                        partition_error_code: ErrorCode::NONE,
                        high_watermark: 42,
                        log_start_offset: 0,
                        diverging_epoch: EpochEndOffset::NONE,
                        current_leader: LeaderIdAndEpoch {
                            leader_id: 1,
                            leader_epoch: 3,
                        },
                        snapshot_id: SnapshotId::NONE,
                        records: Records::LogRange {
                            from_offset: f.fetch_offset,
                            max_bytes: f.max_bytes as u32,
                            generation: f.last_fetched_epoch as u64,
                        },
                        node_endpoints: Vec::new(),
                    }))
                }
                // Echoes what it read, so the test sees the request crossed the wire whole.
                Request::AddRaftVoter(a) => Some(Response::AddRaftVoter(AddRaftVoterResponse {
                    error_code: ErrorCode::NONE,
                    error_message: Some(format!(
                        "{} {} {:?} {}",
                        a.voter_id, a.voter_directory_id, a.listeners, a.ack_when_committed
                    )),
                })),
                _ => None,
            }
        })
    }
}

fn vote(epoch: i32) -> Request {
    Request::Vote(VoteRequest {
        cluster_id: None,
        voter_id: 2,
        topic_name: TOPIC.into(),
        partition: 0,
        candidate_epoch: epoch,
        candidate_id: 1,
        candidate_directory_id: Uuid::ZERO,
        voter_directory_id: Uuid::ZERO,
        last_offset_epoch: 0,
        last_offset: 0,
        pre_vote: false,
    })
}

fn fetch(offset: i64, max_bytes: i32, max_wait_ms: i32) -> Request {
    Request::Fetch(FetchRequest {
        cluster_id: Some("AAAAAAAAAAAAAAAAAAAAAA".into()),
        replica_id: 2,
        replica_epoch: -1,
        max_wait_ms,
        min_bytes: 0,
        max_bytes,
        topic_id: Uuid::from_parts(0, 2),
        partition: 0,
        current_leader_epoch: 3,
        fetch_offset: offset,
        last_fetched_epoch: 0,
        log_start_offset: -1,
        partition_max_bytes: 0,
        replica_directory_id: Uuid::ZERO,
        high_watermark: i64::MAX,
    })
}

fn run<F: std::future::Future<Output = ()> + 'static>(test: impl FnOnce() -> F + Send + 'static) {
    LocalExecutorBuilder::new(Placement::Unbound)
        .io_memory(512 << 10)
        .spawn(test)
        .expect("executor starts")
        .join()
        .expect("test body does not panic");
}

type StopSender = glommio::channels::local_channel::LocalSender<()>;
/// Completes when `serve` has returned: listener closed, every connection shut down.
type Served = glommio::task::JoinHandle<()>;

/// Starts a server with the stub core; returns its address and a stop trigger.
fn start_server() -> (String, StopSender) {
    let (addr, stop, _, _) = start_server_with_stats();
    (addr, stop)
}

fn start_server_with_stats() -> (
    String,
    StopSender,
    Rc<kraft_net::server::ServerStats>,
    Served,
) {
    let server = Server::bind(ServerConfig::new("CONTROLLER", "127.0.0.1:0")).expect("bind");
    let addr = server.local_addr().to_string();
    let stats = server.stats();
    let (stop_tx, stop_rx) = glommio::channels::local_channel::new_bounded::<()>(1);
    let core = Rc::new(StubCore {
        handled: Cell::new(0),
    });
    let served = glommio::spawn_local(async move {
        server
            .serve(core, Rc::new(StubLog), async move {
                let _ = stop_rx.recv().await;
            })
            .await;
    })
    .detach();
    (addr, stop_tx, stats, served)
}

/// A raw connection whose reads give up after `READ_TIMEOUT`.
async fn connect_raw(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .expect("read timeout");
    stream
}

/// Panics naming what was awaited when a raw read timed out; other errors are the peer's doing.
fn unless_timed_out<T>(result: std::io::Result<T>, awaited: &str) -> std::io::Result<T> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            panic!("no {awaited} from the server within {READ_TIMEOUT:?}")
        }
        other => other,
    }
}

/// Bytes read before the server closes the connection (a reset counts as closed too).
async fn read_until_closed(stream: &mut TcpStream) -> usize {
    let mut buf = [0u8; 16];
    unless_timed_out(stream.read(&mut buf).await, "answer or close").unwrap_or(0)
}

async fn raw_round_trip(stream: &mut TcpStream, frame: &[u8]) -> Option<Vec<u8>> {
    stream.write_all(frame).await.ok()?;
    read_raw_frame(stream).await
}

async fn read_raw_frame(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut size = [0u8; 4];
    unless_timed_out(stream.read_exact(&mut size).await, "response size").ok()?;
    let mut body = vec![0u8; i32::from_be_bytes(size) as usize];
    unless_timed_out(stream.read_exact(&mut body).await, "response body").ok()?;
    Some(body)
}

#[test]
fn client_gets_answers_and_garbage_does_not_disturb_other_connections() {
    run(|| async {
        let (addr, stop, stats, _) = start_server_with_stats();
        let mut client = PeerClient::new(ClientConfig::new(addr.clone(), "raft-client-2"));

        // Vote: negotiated at our highest version, answered by the stub.
        let response = client.send(&vote(5)).await.expect("vote answered");
        let Response::Vote(v) = response else {
            panic!("expected a Vote response, got {response:?}")
        };
        assert!(v.vote_granted);
        assert_eq!(v.leader_epoch, 5);
        assert_eq!(v.topic_name, TOPIC);
        assert_eq!(client.negotiated_version(52), Some(2));
        assert_eq!(client.negotiated_version(1), Some(18));

        // Fetch: the records are the log slice the server wrote zero-copy.
        let response = client
            .send(&fetch(10, 20, 0))
            .await
            .expect("fetch answered");
        let Response::Fetch(f) = response else {
            panic!("expected a Fetch response, got {response:?}")
        };
        assert_eq!(f.topic_id, Uuid::from_parts(0, 2));
        assert_eq!(f.high_watermark, 42);
        assert_eq!(f.current_leader.leader_epoch, 3);
        assert_eq!(
            f.records,
            Records::Bytes(bytes::Bytes::copy_from_slice(&LOG[10..30]))
        );
        assert_eq!(stats.fetch_record_bytes_sent.get(), 20);

        // A garbage frame (oversize prefix) closes only its own connection.
        let mut garbage = connect_raw(&addr).await;
        garbage
            .write_all(&[0x7f, 0xff, 0xff, 0xff, 1, 2, 3])
            .await
            .expect("write");
        let n = read_until_closed(&mut garbage).await;
        assert_eq!(n, 0, "server closes a connection with an oversize frame");

        // A frame too short for a header also closes its connection.
        let mut short = connect_raw(&addr).await;
        short
            .write_all(&[0, 0, 0, 3, 0, 1, 0])
            .await
            .expect("write");
        assert_eq!(read_until_closed(&mut short).await, 0);

        // The first connection still works.
        let response = client
            .send(&vote(6))
            .await
            .expect("vote answered after garbage");
        assert!(matches!(response, Response::Vote(v) if v.leader_epoch == 6));
        let _ = stop.send(()).await;
    });
}

/// The leader's side of an AddRaftVoter (Kafka's AddVoterHandler): ApiVersions to the new
/// voter gives its kraft.version range; AddRaftVoter v1 reaches the core with every field.
#[test]
fn the_core_asks_api_versions_and_voter_changes_reach_it() {
    run(|| async {
        let (addr, stop) = start_server();
        let mut client = PeerClient::new(ClientConfig::new(addr, "raft-client-1"));
        let response = client
            .send(&Request::ApiVersions(ApiVersionsRequest))
            .await
            .expect("ApiVersions answered");
        let Response::ApiVersions(v) = response else {
            panic!("expected ApiVersions, got {response:?}")
        };
        assert_eq!(v.error_code, ErrorCode::NONE);
        assert_eq!(v.kraft_version, Some((0, 1)));
        assert_eq!(client.negotiated_version(80), Some(1));
        let listener = LeaderEndpoint {
            name: "CONTROLLER".into(),
            host: "127.0.0.1".into(),
            port: 9096,
        };
        let add = AddRaftVoterRequest {
            cluster_id: None,
            timeout_ms: 5000,
            voter_id: 4,
            voter_directory_id: Uuid::from_parts(4, 4),
            listeners: vec![listener.clone()],
            ack_when_committed: false,
        };
        let response = client
            .send(&Request::AddRaftVoter(add))
            .await
            .expect("AddRaftVoter answered");
        let Response::AddRaftVoter(a) = response else {
            panic!("expected AddRaftVoter, got {response:?}")
        };
        assert_eq!(
            a.error_message,
            Some(format!(
                "4 {} {:?} false",
                Uuid::from_parts(4, 4),
                vec![listener]
            ))
        );
        let _ = stop.send(()).await;
    });
}

#[test]
fn server_answers_bad_requests_with_kafka_errors_and_keeps_order() {
    run(|| async {
        let (addr, stop) = start_server();
        let mut raw = connect_raw(&addr).await;

        // ApiVersions v9 (unknown; header v2: null client id, no tagged fields): v0 response,
        // error 35, ApiVersions' own range (KIP-511).
        let request = [0, 0, 0, 11, 0, 18, 0, 9, 0, 0, 0, 7, 0xff, 0xff, 0];
        let body = raw_round_trip(&mut raw, &request).await.expect("answered");
        assert_eq!(&body[..4], &[0, 0, 0, 7], "correlation id, header v0");
        let mut rest = bytes::Bytes::copy_from_slice(&body[4..]);
        let response = ApiVersionsResponse::decode(&mut rest, 0).expect("v0 body");
        assert_eq!(response.error_code, 35);
        let listed: Vec<_> = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect();
        assert_eq!(listed, [(18, 0, 4)]);

        // Unknown api key 99, a served api at an unserved version, a truncated body: Kafka's
        // processor closes the connection without an answer, and so does ours.
        for request in [
            &[0, 0, 0, 10, 0, 99, 0, 0, 0, 0, 0, 8, 0xff, 0xff][..],
            &[0, 0, 0, 10, 0, 52, 0, 9, 0, 0, 0, 8, 0xff, 0xff][..],
            &[0, 0, 0, 12, 0, 52, 0, 2, 0, 0, 0, 9, 0xff, 0xff, 0, 0x05][..],
            // ApiVersions at an unknown version whose header v2 lacks its tagged fields.
            &[0, 0, 0, 10, 0, 18, 0, 9, 0, 0, 0, 7, 0xff, 0xff][..],
        ] {
            let mut closed = connect_raw(&addr).await;
            closed.write_all(request).await.expect("write");
            assert_eq!(read_until_closed(&mut closed).await, 0, "{request:?}");
        }

        // Pipelining: a parked Fetch (60 ms) then a Vote; responses come back in request order.
        let mut client_frames = Vec::new();
        for (correlation_id, request) in [(20, fetch(0, 5, 60)), (21, vote(9))] {
            let api_key = request.kind().api_key();
            let version = if api_key == 1 { 17 } else { 1 };
            let body = kraft_net::convert::request_to_kafka(&request, version);
            let header = kraft_net::codec::RequestHeader {
                api_key,
                api_version: version,
                correlation_id,
                client_id: Some("raw".into()),
            };
            client_frames.extend_from_slice(
                &kraft_net::codec::encode_request_frame(&header, &body).expect("encodes"),
            );
        }
        raw.write_all(&client_frames).await.expect("write");
        let first = read_raw_frame(&mut raw).await.expect("first response");
        let second = read_raw_frame(&mut raw).await.expect("second response");
        assert_eq!(&first[..4], &20i32.to_be_bytes());
        assert_eq!(&second[..4], &21i32.to_be_bytes());
        let _ = stop.send(()).await;
    });
}

#[test]
fn client_reports_refused_connections_and_backs_off() {
    run(|| async {
        // Bind then drop a listener to get a port nobody listens on.
        let addr = {
            let l = glommio::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").to_string()
        };
        let mut config = ClientConfig::new(addr, "raft-client-3");
        config.reconnect_backoff_ms = 10_000;
        let mut client = PeerClient::new(config);
        let first = client.send(&vote(1)).await;
        assert!(
            matches!(first, Err(ClientError::Disconnected { .. })),
            "{first:?}"
        );
        let second = client.send(&vote(1)).await;
        match second {
            Err(ClientError::Disconnected { reason }) => {
                assert!(reason.contains("backoff"), "{reason}")
            }
            other => panic!("expected backoff, got {other:?}"),
        }
    });
}

#[test]
fn request_timeout_drops_the_connection_and_the_next_request_reconnects() {
    run(|| async {
        let (addr, stop, stats, served) = start_server_with_stats();
        let mut config = ClientConfig::new(addr, "raft-client-2");
        config.request_timeout_ms = 100;
        let mut client = PeerClient::new(config);
        // The stub parks this Fetch for 5 s, far beyond the request timeout.
        let result = client.send(&fetch(0, 10, 5_000)).await;
        assert_eq!(result, Err(ClientError::Timeout { timeout_ms: 100 }));
        assert!(!client.is_connected());
        // The server drops the parked request's connection at once, not after the 5 s park: wait
        // (bounded well below the park) for the close to be counted.
        for _ in 0..200 {
            if stats.connections_closed.get() >= 1 {
                break;
            }
            glommio::timer::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(stats.connections_closed.get(), 1);
        let response = client
            .send(&vote(3))
            .await
            .expect("answered on a new connection");
        assert!(matches!(response, Response::Vote(_)));
        assert_eq!(stats.connections_accepted.get(), 2);

        // Stopping the server closes its connections and the listener.
        let _ = stop.send(()).await;
        glommio::timer::timeout(Duration::from_secs(5), async {
            served.await;
            Ok(())
        })
        .await
        .expect("the server stops serving within 5 s of its stop trigger");
        let after_stop = client.send(&vote(4)).await;
        assert!(
            matches!(after_stop, Err(ClientError::Disconnected { .. })),
            "{after_stop:?}"
        );
    });
}

/// A LogRange of a generation the log is not at goes out as a Fetch response without records
/// (the rest of the response unchanged), and the connection serves the next request.
#[test]
fn log_range_of_another_generation_goes_out_without_records() {
    run(|| async {
        let (addr, stop, stats, _) = start_server_with_stats();
        let mut client = PeerClient::new(ClientConfig::new(addr, "raft-client-2"));
        let Request::Fetch(mut request) = fetch(10, 20, 0) else {
            unreachable!("fetch() builds a Fetch")
        };
        request.last_fetched_epoch = LOG_GENERATION as i32 + 1;
        let response = client
            .send(&Request::Fetch(request))
            .await
            .expect("fetch answered");
        let Response::Fetch(f) = response else {
            panic!("expected a Fetch response, got {response:?}")
        };
        assert!(f.error_code.is_none() && f.partition_error_code.is_none());
        assert_eq!(f.high_watermark, 42);
        assert_eq!(
            f.records,
            Records::Empty,
            "bytes of another generation were sent"
        );
        assert_eq!(stats.fetch_record_bytes_sent.get(), 0);
        let response = client.send(&fetch(10, 20, 0)).await.expect("answered");
        let Response::Fetch(f) = response else {
            panic!("expected a Fetch response, got {response:?}")
        };
        assert_eq!(
            f.records,
            Records::Bytes(bytes::Bytes::copy_from_slice(&LOG[10..30]))
        );
        let _ = stop.send(()).await;
    });
}
