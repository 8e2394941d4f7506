//! The network role's peers follow the core's address book (`Output::UpdatePeers`): a request to
//! an id not in the book fails with `Disconnected`; a peer that leaves fails what it held; a peer
//! that moves is reconnected at its new address.

use super::{on_executor, within_watchdog};
use crate::runtime::link::{self, Rx};
use crate::runtime::messages::NetEvent;
use crate::runtime::net_peers::{Outbound, OutboundConfig};
use kraft_engine::message::{DescribeQuorumRequest, Request};
use kraft_engine::{PeerAddress, RequestError};
use std::net::TcpListener;
use std::rc::Rc;
use std::time::Duration;

/// Long enough that no request of these tests times out: every failure seen is the book's.
const REQUEST_TIMEOUT_MS: u64 = 60_000;

fn request() -> Request {
    Request::DescribeQuorum(DescribeQuorumRequest {
        topic_name: "__raft_performance_test".into(),
        partition: 0,
    })
}

/// A listener that accepts connections (the kernel's backlog) and never answers: a request sent
/// there stays in flight.
fn silent_peer() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn peer(id: i32, port: u16) -> PeerAddress {
    PeerAddress {
        id,
        host: "127.0.0.1".into(),
        port,
    }
}

/// The next event, which must be the failure of `correlation_id` to `to` with `Disconnected`.
async fn expect_disconnected(events: &Rx<NetEvent>, to: i32, correlation_id: u64) {
    let event = within_watchdog("a failure report", events.recv())
        .await
        .unwrap()
        .expect("the event link is open");
    match event {
        NetEvent::RequestFailed {
            to: got_to,
            correlation_id: got,
            error: RequestError::Disconnected,
        } => assert_eq!((got_to, got), (to, correlation_id)),
        other => panic!("expected request {correlation_id} to {to} disconnected, got {other:?}"),
    }
}

#[test]
fn peers_follow_the_address_book() {
    let (first, first_port) = silent_peer();
    let (second, second_port) = silent_peer();
    on_executor(move || async move {
        let mut halves = link::plan::<NetEvent>(0, 0, 1, 64);
        let (tx, rx) = halves.pop().unwrap().open().await;
        let (events, rx) = (Rc::new(tx.unwrap()), rx.unwrap());
        let config = OutboundConfig {
            node_id: 1,
            peers: Vec::new(),
            request_timeout_ms: REQUEST_TIMEOUT_MS,
            retry_backoff_ms: 10,
        };
        let mut outbound = Outbound::spawn(&config, events);
        // Not in the book: fails at once.
        outbound.send(2, 1, request());
        expect_disconnected(&rx, 2, 1).await;
        // In the book: one request in flight to the silent peer, one queued behind it; the
        // own id is never a peer.
        outbound.update_peers(&[peer(2, first_port), peer(1, 1)]);
        outbound.send(2, 2, request());
        outbound.send(2, 3, request());
        outbound.send(1, 4, request());
        expect_disconnected(&rx, 1, 4).await;
        glommio::timer::sleep(Duration::from_millis(200)).await;
        // It leaves the book: both fail, the one in flight first.
        outbound.update_peers(&[]);
        expect_disconnected(&rx, 2, 2).await;
        expect_disconnected(&rx, 2, 3).await;
        // It comes back, then moves: the request in flight at the old address fails and the
        // next one goes to the new address.
        outbound.update_peers(&[peer(2, first_port)]);
        outbound.send(2, 5, request());
        glommio::timer::sleep(Duration::from_millis(200)).await;
        outbound.update_peers(&[peer(2, second_port)]);
        expect_disconnected(&rx, 2, 5).await;
        outbound.send(2, 6, request());
        glommio::timer::sleep(Duration::from_millis(200)).await;
        assert!(rx.try_recv().is_none(), "request 6 failed");
        outbound.update_peers(&[]);
        expect_disconnected(&rx, 2, 6).await;
        outbound.close().await;
    });
    // The moved peer was dialled at its new address (one connection there, for request 6).
    second.set_nonblocking(true).unwrap();
    assert!(
        second.accept().is_ok(),
        "no connection reached the peer's new address"
    );
    drop(first);
}
