//! `cargo bench -p kraft-net`: encode + decode cost of Fetch requests and responses, and the
//! bytes copied per record byte on the leader's Fetch response path.
//!
//! Plain `std::time::Instant` loops (harness = false) so the bench needs no extra crates; each
//! figure is the median of 7 runs.

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use kraft_message::{Records, Request, Response};
use kraft_net::codec::fetch_response::encode_fetch_response_frame;
use kraft_net::codec::{
    decode_request, decode_response, encode_request_frame, encode_response_frame, KafkaResponse,
    RequestHeader,
};
use kraft_net::convert;
use kraft_net::samples;

const RUNS: usize = 7;

/// Median nanoseconds per call of `f` over `iterations` calls.
fn measure(iterations: u32, mut f: impl FnMut()) -> f64 {
    let mut runs: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed().as_nanos() as f64 / iterations as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[RUNS / 2]
}

fn main() {
    println!("kraft-net codec bench (median of {RUNS} runs)\n");
    fetch_request();
    println!();
    fetch_response();
    println!();
    fetch_over_socket();
}

fn fetch_request() {
    let request = Request::Fetch(samples::fetch_request());
    let version = 17;
    let header = RequestHeader {
        api_key: 1,
        api_version: version,
        correlation_id: 42,
        client_id: Some("raft-client-2".into()),
    };
    let frame = encode_request_frame(&header, &convert::request_to_kafka(&request, version))
        .expect("encodes")
        .freeze();
    let encode_ns = measure(200_000, || {
        let wire = convert::request_to_kafka(black_box(&request), version);
        black_box(encode_request_frame(&header, &wire).expect("encodes"));
    });
    let decode_ns = measure(200_000, || {
        let decoded = decode_request(black_box(frame.slice(4..))).expect("decodes");
        black_box(convert::request_from_kafka(decoded.body, version).expect("shape"));
    });
    println!(
        "Fetch request v{version} ({} bytes on the wire), core type <-> frame:",
        frame.len()
    );
    println!("  encode            {encode_ns:>9.0} ns");
    println!("  decode            {decode_ns:>9.0} ns");
    println!("  encode + decode   {:>9.0} ns", encode_ns + decode_ns);
}

fn fetch_response() {
    let version = 17;
    println!("Fetch response v{version}, core type <-> frame, by records size:");
    println!(
        "  {:>9} | {:>12} {:>12} | {:>12} {:>12} | {:>12} {:>12}",
        "records",
        "zero-copy",
        "copied/rec B",
        "k-p encode",
        "copied/rec B",
        "decode",
        "zc enc+dec"
    );
    for records_len in [0usize, 1024, 16 * 1024, 256 * 1024, 1024 * 1024] {
        let records = Bytes::from(vec![0xabu8; records_len]);
        let response = samples::fetch_response(Records::LogRange {
            from_offset: 0,
            max_bytes: records_len as u32,
            generation: 0,
        });
        let iterations = if records_len >= 256 * 1024 {
            2_000
        } else {
            100_000
        };

        // Leader, zero-copy: only prefix and suffix are built; the records slice goes to
        // sendmsg as its own iovec.
        let zero_copy_ns = measure(iterations, || {
            black_box(
                encode_fetch_response_frame(42, version, black_box(&response), records_len)
                    .expect("encodes"),
            );
        });
        let frame =
            encode_fetch_response_frame(42, version, &response, records_len).expect("encodes");
        // Bytes the encoder materialises that are record bytes: the frame's built parts hold
        // only prefix and suffix, so wire length minus built length is what goes by reference.
        let built = frame.prefix.len() + frame.suffix.len();
        let zero_copy_copied = if records_len == 0 {
            0.0
        } else {
            (built + records_len - frame.wire_len()) as f64 / records_len as f64
        };

        // Through kafka-protocol: the records are copied into the frame buffer.
        let wire = KafkaResponse::Fetch(convert::fetch::response_to_kafka(
            &response,
            records.clone(),
            version,
        ));
        let kp_ns = measure(iterations, || {
            black_box(encode_response_frame(42, version, black_box(&wire)).expect("encodes"));
        });
        let kp_frame = encode_response_frame(42, version, &wire).expect("encodes");
        let kp_record_bytes_copied = kp_frame.len() - (frame.prefix.len() + frame.suffix.len());
        let kp_copied = if records_len == 0 {
            0.0
        } else {
            kp_record_bytes_copied as f64 / records_len as f64
        };

        // Follower: decode keeps the records as a slice of the received frame.
        let received = kp_frame.freeze().slice(4..);
        let decode_ns = measure(iterations, || {
            let (_, body) =
                decode_response(black_box(received.clone()), 1, version).expect("decodes");
            let response = convert::response_from_kafka(body, version).expect("shape");
            if let Response::Fetch(f) = &response {
                if let Records::Bytes(b) = &f.records {
                    debug_assert!(b.as_ptr() >= received.as_ptr());
                }
            }
            black_box(response);
        });
        println!(
            "  {:>9} | {:>9.0} ns {:>12.2} | {:>9.0} ns {:>12.2} | {:>9.0} ns {:>9.0} ns",
            records_len,
            zero_copy_ns,
            zero_copy_copied,
            kp_ns,
            kp_copied,
            decode_ns,
            zero_copy_ns + decode_ns
        );
    }
}

/// The leader's real send path over loopback: a server whose log is a 1 MiB buffer answers
/// Fetch requests from a PeerClient; the server's counters say how many record bytes were
/// copied in user space on the way to the socket.
fn fetch_over_socket() {
    use std::rc::Rc;

    use glommio::{LocalExecutorBuilder, Placement};
    use kraft_message::SnapshotId;
    use kraft_net::client::{ClientConfig, PeerClient};
    use kraft_net::server::{InboundRequest, RequestHandler, ResponseFuture, Server, ServerConfig};
    use kraft_net::source::RecordSource;

    const LOG_BYTES: usize = 1 << 20;
    const FETCH_BYTES: usize = 64 * 1024;
    const FETCHES: usize = 2_000;

    struct Log(Vec<u8>);
    struct LogHandle(Rc<Log>);
    impl RecordSource for LogHandle {
        type Slice = LogSlice;
        fn read_log(
            &self,
            from_offset: i64,
            max_bytes: usize,
            _generation: u64,
        ) -> Option<LogSlice> {
            let start = usize::try_from(from_offset).ok()? % LOG_BYTES;
            let end = (start + max_bytes).min(LOG_BYTES);
            Some(LogSlice(self.0.clone(), start, end))
        }
        fn read_snapshot(&self, _: SnapshotId, _: i64, _: usize) -> Option<LogSlice> {
            None
        }
    }
    struct LogSlice(Rc<Log>, usize, usize);
    impl std::ops::Deref for LogSlice {
        type Target = [u8];
        fn deref(&self) -> &[u8] {
            &self.0 .0[self.1..self.2]
        }
    }
    struct Leader;
    impl RequestHandler for Leader {
        fn handle(&self, inbound: InboundRequest) -> ResponseFuture {
            Box::pin(async move {
                let Request::Fetch(f) = inbound.request else {
                    return None;
                };
                let mut response = samples::fetch_response(Records::LogRange {
                    from_offset: f.fetch_offset,
                    max_bytes: f.max_bytes as u32,
                    generation: 0,
                });
                response.topic_id = f.topic_id;
                Some(Response::Fetch(response))
            })
        }
    }

    let report = LocalExecutorBuilder::new(Placement::Unbound)
        .io_memory(512 << 10)
        .spawn(|| async move {
            let server =
                Server::bind(ServerConfig::new("CONTROLLER", "127.0.0.1:0")).expect("bind");
            let addr = server.local_addr().to_string();
            let stats = server.stats();
            let log = Rc::new(LogHandle(Rc::new(Log(vec![0x5a; LOG_BYTES]))));
            glommio::spawn_local(server.serve(Rc::new(Leader), log, std::future::pending()))
                .detach();
            let mut client = PeerClient::new(ClientConfig::new(addr, "raft-client-2"));
            let start = Instant::now();
            let mut received = 0usize;
            for i in 0..FETCHES {
                let mut request = samples::fetch_request();
                request.fetch_offset = (i * FETCH_BYTES) as i64;
                request.max_bytes = FETCH_BYTES as i32;
                request.max_wait_ms = 0;
                match client.send(&Request::Fetch(request)).await {
                    Ok(Response::Fetch(f)) => {
                        if let Records::Bytes(b) = f.records {
                            received += b.len();
                        }
                    }
                    other => panic!("fetch failed: {other:?}"),
                }
            }
            let elapsed = start.elapsed();
            (
                stats.fetch_record_bytes_sent.get(),
                stats.fetch_record_bytes_copied.get(),
                stats.fetch_frame_bytes_built.get(),
                received,
                elapsed,
            )
        })
        .expect("executor")
        .join()
        .expect("bench runs");
    let (sent, copied, built, received, elapsed) = report;
    println!(
        "Fetch over loopback ({FETCHES} x {} KiB, client and server on one executor):",
        FETCH_BYTES / 1024
    );
    println!("  record bytes sent {sent}, received {received}");
    println!(
        "  user-space record bytes copied per record byte sent: {:.3}",
        copied as f64 / sent.max(1) as f64
    );
    println!(
        "  bytes built around the records per record byte:     {:.5} ({} bytes per response)",
        built as f64 / sent.max(1) as f64,
        built / FETCHES as u64
    );
    println!(
        "  round trip {:.1} us per fetch, {:.0} MB/s of records",
        elapsed.as_secs_f64() * 1e6 / FETCHES as f64,
        received as f64 / elapsed.as_secs_f64() / 1e6
    );
    println!("  kernel copies: 1 per record byte on send (sendmsg into the socket buffer),");
    println!("  1 on receive (into the read buffer); the follower's records stay a slice of it.");
}
