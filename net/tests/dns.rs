//! Host names with several addresses, on real loopback sockets: the client tries each address
//! in turn (Kafka's `client.dns.lookup=use_all_dns_ips`) and listeners bind as Kafka's acceptor
//! does (empty host: every interface; named host: its first address in the JVM's order).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use glommio::{LocalExecutorBuilder, Placement};
use kraft_message::{ErrorCode, Request, Response, SnapshotId, Uuid, VoteRequest, VoteResponse};
use kraft_net::addr::HostResolver;
use kraft_net::client::{ClientConfig, PeerClient};
use kraft_net::server::{InboundRequest, RequestHandler, ResponseFuture, Server, ServerConfig};
use kraft_net::source::RecordSource;

const TOPIC: &str = "__raft_performance_test";
const LOOPBACK4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const LOOPBACK6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);
/// In 127/8 but bound by nobody here: a connection to it is refused at once.
const REFUSING4: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

struct NoLog;

impl RecordSource for NoLog {
    type Slice = &'static [u8];
    fn read_log(&self, _: i64, _: usize, _: u64) -> Option<&'static [u8]> {
        None
    }
    fn read_snapshot(&self, _: SnapshotId, _: i64, _: usize) -> Option<&'static [u8]> {
        None
    }
}

/// Grants every vote; answers nothing else.
struct Granter;

impl RequestHandler for Granter {
    fn handle(&self, inbound: InboundRequest) -> ResponseFuture {
        Box::pin(async move {
            let Request::Vote(v) = inbound.request else {
                return None;
            };
            Some(Response::Vote(VoteResponse {
                error_code: ErrorCode::NONE,
                topic_name: v.topic_name,
                partition: v.partition,
                partition_error_code: ErrorCode::NONE,
                leader_id: -1,
                leader_epoch: v.candidate_epoch,
                vote_granted: true,
                node_endpoints: Vec::new(),
            }))
        })
    }
}

fn vote() -> Request {
    Request::Vote(VoteRequest {
        cluster_id: None,
        voter_id: 2,
        topic_name: TOPIC.into(),
        partition: 0,
        candidate_epoch: 1,
        candidate_id: 1,
        candidate_directory_id: Uuid::ZERO,
        voter_directory_id: Uuid::ZERO,
        last_offset_epoch: 0,
        last_offset: 0,
        pre_vote: false,
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

/// Serves `config` with the vote granter until the test ends; returns the bound address.
fn serve(config: ServerConfig) -> SocketAddr {
    let server = Server::bind(config).expect("bind");
    let addr = server.local_addr();
    glommio::spawn_local(server.serve(Rc::new(Granter), Rc::new(NoLog), std::future::pending()))
        .detach();
    addr
}

/// A port free on both loopback addresses (taken from a dual-stack wildcard bind).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("[::]:0")
        .or_else(|_| std::net::TcpListener::bind("0.0.0.0:0"))
        .expect("bind");
    l.local_addr().expect("addr").port()
}

/// A resolver answering `ips` (at the asked port) for any name, counting its calls.
fn fixed_resolver(ips: Vec<IpAddr>, calls: Arc<AtomicUsize>) -> HostResolver {
    HostResolver::from_fn(move |_, port| {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok(ips.iter().map(|&ip| SocketAddr::new(ip, port)).collect())
    })
}

fn client(peer: String, resolver: HostResolver) -> PeerClient {
    let mut config = ClientConfig::new(peer, "raft-client-1");
    config.resolver = resolver;
    config.reconnect_backoff_ms = 1;
    config.reconnect_backoff_max_ms = 1;
    config.request_timeout_ms = 5_000;
    PeerClient::new(config)
}

async fn assert_answered(client: &mut PeerClient) {
    match client.send(&vote()).await {
        Ok(Response::Vote(v)) => assert!(v.vote_granted),
        other => panic!("expected a granted vote, got {other:?}"),
    }
}

#[test]
fn client_moves_on_when_the_first_address_refuses() {
    run(|| async {
        let addr = serve(ServerConfig::new("CONTROLLER", "127.0.0.1:0"));
        let calls = Arc::new(AtomicUsize::new(0));
        let resolver = fixed_resolver(vec![REFUSING4, LOOPBACK4], calls.clone());
        let mut c = client(format!("kraft-peer.test:{}", addr.port()), resolver);
        // One send: the refused first address does not fail the request.
        assert_answered(&mut c).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    });
}

/// `localhost` may be 127.0.0.1, ::1 or both; a listener on either family is reached.
#[test]
fn localhost_reaches_a_listener_on_either_loopback_family() {
    run(|| async {
        let port = free_port();
        let addr6 = serve(ServerConfig::new("CONTROLLER", format!("[::1]:{port}")));
        assert_eq!(addr6.ip(), LOOPBACK6);
        let both = fixed_resolver(vec![LOOPBACK4, LOOPBACK6], Arc::default());
        let mut c = client(format!("localhost:{port}"), both);
        assert_answered(&mut c).await;
        let only6 = fixed_resolver(vec![LOOPBACK6], Arc::default());
        assert_answered(&mut client(format!("localhost:{port}"), only6)).await;

        let addr4 = serve(ServerConfig::new("CONTROLLER", "127.0.0.1:0"));
        let both = fixed_resolver(vec![LOOPBACK6, LOOPBACK4], Arc::default());
        assert_answered(&mut client(format!("localhost:{}", addr4.port()), both)).await;

        // And the machine's own `localhost`, whatever /etc/hosts says, both ways.
        let addr = serve(ServerConfig::new("CONTROLLER", "localhost:0"));
        let peer = format!("localhost:{}", addr.port());
        assert_answered(&mut client(peer, HostResolver::system())).await;
    });
}

/// After every address failed, the next attempt resolves the name again (the DNS answer may
/// have changed), starting from its first address.
#[test]
fn client_resolves_again_after_the_whole_list_failed() {
    run(|| async {
        let addr = serve(ServerConfig::new("CONTROLLER", "127.0.0.1:0"));
        let calls = Arc::new(AtomicUsize::new(0));
        let answers = calls.clone();
        let resolver = HostResolver::from_fn(move |_, port| {
            // First resolution: only refusing addresses; later ones: the listener.
            let ip = if answers.fetch_add(1, Ordering::SeqCst) == 0 {
                REFUSING4
            } else {
                LOOPBACK4
            };
            Ok(vec![SocketAddr::new(ip, port)])
        });
        let mut c = client(format!("kraft-peer.test:{}", addr.port()), resolver);
        let first = c.send(&vote()).await;
        assert!(first.is_err(), "{first:?}");
        // Bounded wait for the 1 ms reconnect backoff.
        for _ in 0..100 {
            if c.send(&vote()).await.is_ok() {
                break;
            }
            glommio::timer::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(c.is_connected());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    });
}

/// Kafka's acceptor: `new InetSocketAddress(host, port)` binds the first address Java resolves,
/// and Java lists IPv4 first by default.
#[test]
fn named_listener_binds_the_first_address_in_java_order() {
    run(|| async {
        let mut config = ServerConfig::new("CONTROLLER", "dual.test:0");
        config.resolver = fixed_resolver(vec![LOOPBACK6, LOOPBACK4], Arc::default());
        let addr = serve(config);
        assert_eq!(addr.ip(), LOOPBACK4);
    });
}

/// An empty host (`PLAINTEXT://:9092`, the default `listeners`) listens on every interface,
/// both families, as Java's wildcard bind does.
#[test]
fn empty_host_listens_on_every_interface() {
    run(|| async {
        let addr = serve(ServerConfig::new("CONTROLLER", ":0"));
        assert!(addr.ip().is_unspecified(), "{addr}");
        for ip in [LOOPBACK4, LOOPBACK6] {
            let only = fixed_resolver(vec![ip], Arc::default());
            assert_answered(&mut client(format!("any.test:{}", addr.port()), only)).await;
        }
    });
}

/// A port another listener holds is refused (no `SO_REUSEPORT` sharing).
#[test]
fn a_taken_port_is_refused() {
    run(|| async {
        let addr = serve(ServerConfig::new("CONTROLLER", "127.0.0.1:0"));
        let second = Server::bind(ServerConfig::new("CONTROLLER", addr.to_string()));
        assert!(second.is_err(), "a second listener bound {addr}");
    });
}
