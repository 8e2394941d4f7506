//! Connection limits on real sockets on 127.0.0.1: `max.connections`, `max.connections.per.ip`,
//! the bound on requests read but not answered per connection, and `connections.max.idle.ms`.
//! The server runs on its own glommio thread; the clients are blocking std sockets with
//! timeouts, so every wait is bounded.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use glommio::{LocalExecutorBuilder, Placement};
use kraft_net::codec::{encode_request_frame, KafkaRequest, RequestHeader};
use kraft_net::probe::{api_versions_v0, ProbeOutcome};
use kraft_net::server::{
    InboundRequest, RequestHandler, ResponseFuture, Server, ServerConfig,
    MAX_IN_FLIGHT_PER_CONNECTION,
};
use kraft_net::source::NoRecords;
use kraft_net::{convert, samples};

/// Bound of every blocking read or write here: the server answers or closes within
/// milliseconds, so a wait this long means it went silent and the test fails.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Counts the requests it is handed and never answers them (a core that is stuck).
struct StuckCore {
    handled: Arc<AtomicU64>,
}

impl RequestHandler for StuckCore {
    fn handle(&self, _: InboundRequest) -> ResponseFuture {
        self.handled.fetch_add(1, Ordering::SeqCst);
        Box::pin(std::future::pending())
    }
}

/// A server on its own thread; dropping it stops the server and joins the thread.
struct Running {
    addr: SocketAddr,
    handled: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<glommio::ExecutorJoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn start(configure: impl FnOnce(&mut ServerConfig) + Send + 'static) -> Running {
    let handled = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (addr_tx, addr_rx) = mpsc::channel();
    let (core_handled, core_stop) = (handled.clone(), stop.clone());
    let thread = LocalExecutorBuilder::new(Placement::Unbound)
        .io_memory(512 << 10)
        .spawn(move || async move {
            let mut config = ServerConfig::new("CONTROLLER", "127.0.0.1:0");
            configure(&mut config);
            let server = Server::bind(config).expect("bind");
            addr_tx
                .send(server.local_addr())
                .expect("test waits for the address");
            let core = Rc::new(StuckCore {
                handled: core_handled,
            });
            // Polled: the stop flag comes from another thread.
            let stopped = async move {
                while !core_stop.load(Ordering::SeqCst) {
                    glommio::timer::sleep(Duration::from_millis(5)).await;
                }
            };
            server.serve(core, Rc::new(NoRecords), stopped).await;
        })
        .expect("executor starts");
    let addr = addr_rx.recv_timeout(IO_TIMEOUT).expect("server bound");
    Running {
        addr,
        handled,
        stop,
        thread: Some(thread),
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream
}

/// A connection from another loopback address (127.0.0.2) to the same server.
fn connect_from(source: [u8; 4], addr: SocketAddr) -> TcpStream {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    let source = SocketAddr::from((source, 0));
    socket
        .bind(&source.into())
        .expect("bind the source address");
    socket
        .connect_timeout(&addr.into(), IO_TIMEOUT)
        .expect("connect");
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream
}

/// ApiVersions v0 (answered by net itself): whether this connection is served.
fn api_versions_answered(stream: &mut TcpStream) -> bool {
    match api_versions_v0(stream, 5) {
        ProbeOutcome::Served => true,
        ProbeOutcome::Closed => false,
        ProbeOutcome::TimedOut => panic!("neither an answer nor a close within {IO_TIMEOUT:?}"),
    }
}

/// Reads until the server closes the connection; returns how long that took.
fn closed_within(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 64];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return started.elapsed(),
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("the server did not close the connection within {IO_TIMEOUT:?}")
            }
            Err(_) => return started.elapsed(),
        }
    }
}

#[test]
fn connection_over_max_connections_is_closed_at_once_and_the_others_keep_working() {
    let server = start(|c| c.max_connections = 3);
    let mut open: Vec<TcpStream> = (0..3).map(|_| connect(server.addr)).collect();
    for stream in &mut open {
        assert!(api_versions_answered(stream));
    }
    let mut extra = connect(server.addr);
    assert!(closed_within(&mut extra) < Duration::from_secs(1));
    for stream in &mut open {
        assert!(
            api_versions_answered(stream),
            "earlier connections keep working"
        );
    }
    // A closed connection frees its slot (bounded retries while the server notices the close).
    drop(open.pop());
    let admitted = (0..100).any(|_| {
        let mut again = connect(server.addr);
        let served = api_versions_answered(&mut again);
        if !served {
            std::thread::sleep(Duration::from_millis(10));
        }
        served
    });
    assert!(
        admitted,
        "a slot freed by a close is given to a new connection"
    );
}

#[test]
fn connection_over_max_connections_per_ip_is_closed_and_other_ips_are_not_counted() {
    let server = start(|c| c.max_connections_per_ip = 2);
    let mut open: Vec<TcpStream> = (0..2).map(|_| connect(server.addr)).collect();
    for stream in &mut open {
        assert!(api_versions_answered(stream));
    }
    let mut extra = connect(server.addr);
    assert!(closed_within(&mut extra) < Duration::from_secs(1));
    let mut other_ip = connect_from([127, 0, 0, 2], server.addr);
    assert!(
        api_versions_answered(&mut other_ip),
        "127.0.0.2 has its own count"
    );
    for stream in &mut open {
        assert!(
            api_versions_answered(stream),
            "earlier connections keep working"
        );
    }
}

/// A Vote request frame as a Raft peer sends it.
fn vote_frame(correlation_id: i32) -> Vec<u8> {
    let vote = samples::raft_requests()
        .into_iter()
        .find(|r| r.kind().api_key() == 52)
        .expect("a sample Vote");
    let header = RequestHeader {
        api_key: 52,
        api_version: 2,
        correlation_id,
        client_id: Some("pipeliner".into()),
    };
    let body: KafkaRequest = convert::request_to_kafka(&vote, 2);
    encode_request_frame(&header, &body)
        .expect("encodes")
        .to_vec()
}

#[test]
fn a_client_that_never_reads_cannot_make_the_server_take_more_than_the_bound() {
    let server = start(|_| {});
    let mut pipeliner = connect(server.addr);
    pipeliner
        .set_write_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    // Up to 64 MiB of Votes, never reading a response: the core never answers, so once the
    // bound is reached the server must stop reading and the writes must block.
    let chunk: Vec<u8> = (0..1000).flat_map(vote_frame).collect();
    let mut written = 0usize;
    let blocked = loop {
        if written >= 64 << 20 {
            break false;
        }
        match pipeliner.write(&chunk) {
            Ok(n) => written += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break true
            }
            Err(e) => panic!("the server dropped the pipelining connection: {e}"),
        }
    };
    assert!(
        blocked,
        "the server kept reading {written} bytes of unanswered requests"
    );
    // Requests handed to the core: the queue, the one its writer awaits, and the one the
    // reader holds while it waits for room.
    let bound = MAX_IN_FLIGHT_PER_CONNECTION as u64 + 2;
    let handled = server.handled.load(Ordering::SeqCst);
    assert!(handled <= bound, "{handled} requests taken, bound {bound}");
    assert!(
        handled >= MAX_IN_FLIGHT_PER_CONNECTION as u64,
        "only {handled} taken"
    );
    // Other connections are served meanwhile.
    let mut other = connect(server.addr);
    assert!(api_versions_answered(&mut other));
}

#[test]
fn an_idle_connection_is_closed_after_connections_max_idle_ms() {
    let idle = Duration::from_millis(300);
    let server = start(move |c| c.connections_max_idle_ms = Some(idle.as_millis() as u64));
    let mut quiet = connect(server.addr);
    // Taken before the request: the server's last activity on it (the answer) comes later.
    let last_activity = Instant::now();
    assert!(api_versions_answered(&mut quiet));
    // Half the idle time later it is still open (a read sends nothing, so it is no activity).
    std::thread::sleep(idle / 2);
    quiet
        .set_read_timeout(Some(Duration::from_millis(20)))
        .expect("timeout");
    let mut byte = [0u8; 1];
    match quiet.read(&mut byte) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("closed before the idle time: {other:?}"),
    }
    quiet.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    closed_within(&mut quiet);
    let closed_after = last_activity.elapsed();
    assert!(closed_after >= idle, "closed after {closed_after:?}");
    assert!(
        closed_after < idle + Duration::from_secs(2),
        "closed after {closed_after:?}"
    );

    // A connection that talks more often than the idle time stays open.
    let mut busy = connect(server.addr);
    let started = Instant::now();
    while started.elapsed() < idle * 3 {
        assert!(
            api_versions_answered(&mut busy),
            "an active connection was closed"
        );
        std::thread::sleep(idle / 4);
    }
}
