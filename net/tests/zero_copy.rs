//! The zero-copy response paths: the FetchSnapshot frame equals kafka-protocol's encoding byte
//! for byte, and over a real socket neither a Fetch log range nor a FetchSnapshot chunk is copied
//! in user space (a counting allocator sees no allocation of the chunk's size on the server's
//! thread while it serves them).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use glommio::{LocalExecutorBuilder, Placement};
use kraft_message::*;
use kraft_net::client::{ClientConfig, PeerClient};
use kraft_net::codec::fetch_snapshot_response::encode_fetch_snapshot_response_frame;
use kraft_net::codec::{encode_response_frame, KafkaResponse};
use kraft_net::server::{InboundRequest, RequestHandler, ResponseFuture, Server, ServerConfig};
use kraft_net::source::RecordSource;
use kraft_net::{convert, samples};

/// Largest allocation made on a thread that opted in with `COUNTED`.
static LARGEST_COUNTED_ALLOC_BYTES: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

struct CountingAllocator;

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTED.try_with(Cell::get).unwrap_or(false) {
            LARGEST_COUNTED_ALLOC_BYTES.fetch_max(layout.size(), Ordering::Relaxed);
        }
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTED.try_with(Cell::get).unwrap_or(false) {
            LARGEST_COUNTED_ALLOC_BYTES.fetch_max(new_size, Ordering::Relaxed);
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn snapshot_variants() -> Vec<(FetchSnapshotResponse, Bytes)> {
    let Response::FetchSnapshot(base) = samples::raft_responses()
        .into_iter()
        .find(|r| matches!(r, Response::FetchSnapshot(_)))
        .expect("samples have a FetchSnapshot response")
    else {
        unreachable!("filtered on FetchSnapshot");
    };
    let chunk = |n: usize| Bytes::from((0..n).map(|i| (i * 7) as u8).collect::<Vec<u8>>());
    let mut out = vec![(base.clone(), chunk(14)), (base.clone(), chunk(200_000))];
    let mut no_leader = base.clone();
    no_leader.current_leader = LeaderIdAndEpoch {
        leader_id: 0,
        leader_epoch: 0,
    };
    no_leader.node_endpoints.clear();
    out.push((no_leader, Bytes::new()));
    let mut partition_error = base.clone();
    partition_error.partition_error_code = ErrorCode::SNAPSHOT_NOT_FOUND;
    partition_error.current_leader.leader_id = -1;
    out.push((partition_error, Bytes::new()));
    let mut rejected = base.clone();
    rejected.error_code = ErrorCode::INCONSISTENT_CLUSTER_ID;
    out.push((rejected, chunk(3)));
    let mut endpoints = base;
    endpoints.node_endpoints = (0..40)
        .map(|i| NodeEndpoint {
            node_id: i,
            host: "h".repeat(i as usize * 3),
            port: 9000 + i as u16,
        })
        .collect();
    out.push((endpoints, chunk(1)));
    out
}

#[test]
fn zero_copy_fetch_snapshot_encoder_matches_kafka_protocol_byte_for_byte() {
    for v in 0..=1 {
        for (response, chunk) in snapshot_variants() {
            let frame = encode_fetch_snapshot_response_frame(9, v, &response, chunk.len())
                .expect("encodes");
            let mut ours = BytesMut::new();
            ours.extend_from_slice(&frame.prefix);
            ours.extend_from_slice(&chunk[..frame.records_len]);
            ours.extend_from_slice(&frame.suffix);
            assert_eq!(ours.len(), frame.wire_len());
            let wire = KafkaResponse::FetchSnapshot(convert::fetch_snapshot::response_to_kafka(
                &response,
                chunk.clone(),
                v,
            ));
            let expected = encode_response_frame(9, v, &wire).expect("kafka-protocol encodes");
            assert_eq!(
                &ours[..],
                &expected[..],
                "v{v}, {} chunk bytes, error {:?}",
                chunk.len(),
                response.error_code
            );
        }
    }
}

/// Bytes served per response: far above every buffer the server allocates for other reasons.
const CHUNK_BYTES: usize = 1 << 20;
/// An allocation this large on the server's thread can only be a copy of the chunk.
const COPY_SUSPECT_BYTES: usize = CHUNK_BYTES / 4;

/// One buffer, allocated before counting starts, standing in for a mapped log and snapshot.
#[derive(Clone)]
struct Mapped(Arc<Vec<u8>>);

struct MappedSlice(Arc<Vec<u8>>, usize, usize);

impl Deref for MappedSlice {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0[self.1..self.2]
    }
}

impl RecordSource for Mapped {
    type Slice = MappedSlice;
    fn read_log(&self, from_offset: i64, max_bytes: usize, _: u64) -> Option<MappedSlice> {
        let start = usize::try_from(from_offset).ok()?;
        let end = (start + max_bytes).min(self.0.len());
        (start < end).then(|| MappedSlice(self.0.clone(), start, end))
    }
    fn read_snapshot(&self, _: SnapshotId, position: i64, length: usize) -> Option<MappedSlice> {
        self.read_log(position, length, 0)
    }
}

/// Answers Fetch with a log range and FetchSnapshot with a file range, both `CHUNK_BYTES`.
struct Leader;

impl RequestHandler for Leader {
    fn handle(&self, inbound: InboundRequest) -> ResponseFuture {
        Box::pin(async move {
            match inbound.request {
                Request::Fetch(f) => {
                    let mut r = samples::fetch_response(Records::LogRange {
                        from_offset: f.fetch_offset,
                        max_bytes: CHUNK_BYTES as u32,
                        generation: 0,
                    });
                    r.topic_id = f.topic_id;
                    Some(Response::Fetch(r))
                }
                Request::FetchSnapshot(s) => {
                    let (mut r, _) = snapshot_variants().swap_remove(0);
                    r.snapshot_id = s.snapshot_id;
                    r.position = s.position;
                    r.size = (2 * CHUNK_BYTES) as i64;
                    r.unaligned_records = SnapshotRecords::FileRange {
                        snapshot_id: s.snapshot_id,
                        position: s.position,
                        length: CHUNK_BYTES as u32,
                    };
                    Some(Response::FetchSnapshot(r))
                }
                _ => None,
            }
        })
    }
}

fn fetch_snapshot_request(position: i64) -> Request {
    let request = samples::raft_requests()
        .into_iter()
        .find(|r| matches!(r, Request::FetchSnapshot(_)));
    let Some(Request::FetchSnapshot(mut s)) = request else {
        panic!("samples have a FetchSnapshot request");
    };
    s.position = position;
    Request::FetchSnapshot(s)
}

/// Client on its own executor (its decoding allocates the chunk; it is not counted).
async fn fetch_both(addr: String, mapped: Mapped) {
    let mut client = PeerClient::new(ClientConfig::new(addr, "zero-copy-test"));
    for i in 0..2usize {
        let mut fetch = samples::fetch_request();
        fetch.fetch_offset = (i * CHUNK_BYTES / 2) as i64;
        fetch.max_bytes = CHUNK_BYTES as i32;
        fetch.max_wait_ms = 0;
        let from = fetch.fetch_offset as usize;
        match client.send(&Request::Fetch(fetch)).await {
            Ok(Response::Fetch(FetchResponse {
                records: Records::Bytes(b),
                ..
            })) => assert!(
                b[..] == mapped.0[from..from + CHUNK_BYTES],
                "fetch bytes differ"
            ),
            other => panic!("fetch failed: {other:?}"),
        }
        let position = (i * CHUNK_BYTES / 2) as i64;
        match client.send(&fetch_snapshot_request(position)).await {
            Ok(Response::FetchSnapshot(FetchSnapshotResponse {
                unaligned_records: SnapshotRecords::Bytes(b),
                ..
            })) => assert!(
                b[..] == mapped.0[position as usize..position as usize + CHUNK_BYTES],
                "snapshot chunk bytes differ"
            ),
            other => panic!("fetch snapshot failed: {other:?}"),
        }
    }
}

#[test]
fn fetch_and_fetch_snapshot_records_are_not_copied_in_user_space() {
    let mapped = Mapped(Arc::new((0..2 * CHUNK_BYTES).map(|i| i as u8).collect()));
    let (addr_tx, addr_rx) = std::sync::mpsc::channel::<String>();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let source = mapped.clone();
    let server = LocalExecutorBuilder::new(Placement::Unbound)
        .io_memory(512 << 10)
        .spawn(move || async move {
            let server =
                Server::bind(ServerConfig::new("CONTROLLER", "127.0.0.1:0")).expect("bind");
            addr_tx
                .send(server.local_addr().to_string())
                .expect("send addr");
            let stats = server.stats();
            COUNTED.with(|c| c.set(true));
            let stop = async move {
                // Bounded: the client thread ends (and drops `done_tx`) within its own timeouts.
                while done_rx.try_recv() == Err(std::sync::mpsc::TryRecvError::Empty) {
                    glommio::timer::sleep(std::time::Duration::from_millis(5)).await;
                }
            };
            server.serve(Rc::new(Leader), Rc::new(source), stop).await;
            COUNTED.with(|c| c.set(false));
            (
                stats.fetch_record_bytes_sent.get(),
                stats.snapshot_bytes_sent.get(),
            )
        })
        .expect("server executor");
    let addr = addr_rx.recv().expect("server bound");
    let client = LocalExecutorBuilder::new(Placement::Unbound)
        .io_memory(512 << 10)
        .spawn(move || fetch_both(addr, mapped))
        .expect("client executor");
    let client_result = client.join();
    drop(done_tx);
    let (fetch_sent, snapshot_sent) = server.join().expect("server runs");
    client_result.expect("client gets every chunk intact");
    assert_eq!(fetch_sent, 2 * CHUNK_BYTES as u64);
    assert_eq!(snapshot_sent, 2 * CHUNK_BYTES as u64);
    let largest = LARGEST_COUNTED_ALLOC_BYTES.load(Ordering::Relaxed);
    assert!(
        largest < COPY_SUSPECT_BYTES,
        "the server allocated {largest} bytes at once while serving {CHUNK_BYTES}-byte chunks: \
         the records were copied in user space"
    );
}
