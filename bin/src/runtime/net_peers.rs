//! The network role's outbound side: one task per peer of the core's address book
//! (`Output::UpdatePeers`: started for a new id, closed and restarted for a moved one, stopped
//! for one that left, at most kraft-driver's `MAX_PEERS`) sending the core's requests through
//! kraft-driver's `PeerQueue` (bounded, one in flight; an answer or failure reaches the Raft loop
//! under the core's correlation id only for the request in flight), and a task handing the
//! failures the command loop found (a full peer queue, an unknown node, a peer that left) to the
//! Raft loop from kraft-driver's bounded `FailureQueue`. The command loop only queues and wakes:
//! it never waits on the Raft loop, which waits on its sends to the command loop.

use super::clock::Clock;
use super::link::Tx;
use super::messages::NetEvent;
use glommio::channels::local_channel::{self, LocalReceiver, LocalSender};
use glommio::Task;
use kraft_driver::{plan_peer_changes, FailureQueue, PeerChange, PeerQueue, MAX_PEERS};
use kraft_engine::io::Input;
use kraft_engine::message::Request;
use kraft_engine::{PeerAddress, RequestError};
use kraft_net::addr::join_host_port;
use kraft_net::client::{ClientConfig, PeerClient};
use kraft_net::error::ClientError;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// One peer's request queue, shared by the command loop (which queues) and the peer's task
/// (which sends): both on this executor.
type SharedPeerQueue = Rc<RefCell<PeerQueue<Request>>>;

/// What the outbound side needs of the server config.
pub struct OutboundConfig {
    pub node_id: i32,
    /// (node id, host:port) of the peers known before the core's first address book (the
    /// static voters other than this node).
    pub peers: Vec<(i32, String)>,
    pub request_timeout_ms: u64,
    pub retry_backoff_ms: u64,
}

/// One peer's task handles: its queue, its address, and a wake-up (dropped to end the task).
struct Peer {
    address: String,
    queue: SharedPeerQueue,
    wake: LocalSender<()>,
}

/// The command loop's handle on the peers' queues and the failure queue.
pub struct Outbound {
    node_id: i32,
    request_timeout_ms: u64,
    retry_backoff_ms: u64,
    events: Rc<Tx<NetEvent>>,
    clock: Clock,
    peers: HashMap<i32, Peer>,
    failures: Rc<RefCell<FailureQueue>>,
    failures_wake: LocalSender<()>,
    reporter: Task<()>,
}

impl Outbound {
    /// Starts one task per initial peer and the failure reporter.
    pub fn spawn(config: &OutboundConfig, events: Rc<Tx<NetEvent>>) -> Outbound {
        let failures = Rc::new(RefCell::new(FailureQueue::new()));
        let (failures_wake, failures_woken) = local_channel::new_bounded(1);
        let reporter = glommio::spawn_local(report_failures(
            failures.clone(),
            failures_woken,
            events.clone(),
        ));
        let mut outbound = Outbound {
            node_id: config.node_id,
            request_timeout_ms: config.request_timeout_ms,
            retry_backoff_ms: config.retry_backoff_ms,
            events,
            clock: Clock::new(),
            peers: HashMap::with_capacity(config.peers.len()),
            failures,
            failures_wake,
            reporter,
        };
        outbound.apply_book(&config.peers);
        outbound
    }

    /// `Output::UpdatePeers`: the peers' tasks follow the core's address book.
    pub fn update_peers(&mut self, book: &[PeerAddress]) {
        let book: Vec<(i32, String)> = book
            .iter()
            .map(|p| (p.id, join_host_port(&p.host, p.port)))
            .collect();
        self.apply_book(&book);
    }

    fn apply_book(&mut self, book: &[(i32, String)]) {
        let current: BTreeMap<i32, String> = self
            .peers
            .iter()
            .map(|(id, peer)| (*id, peer.address.clone()))
            .collect();
        let (changes, refused) = plan_peer_changes(self.node_id, &current, book);
        if !refused.is_empty() {
            tracing::warn!(
                ?refused,
                max_peers = MAX_PEERS,
                "address book larger than the peer bound: these ids get no connection"
            );
        }
        for change in changes {
            match change {
                PeerChange::Start { id, address } => {
                    tracing::info!(id, %address, "peer added");
                    self.start_peer(id, address);
                }
                PeerChange::Readdress { id, address } => {
                    tracing::info!(id, %address, "peer moved: reconnecting");
                    self.stop_peer(id);
                    self.start_peer(id, address);
                }
                PeerChange::Stop { id } => {
                    tracing::info!(id, "peer removed");
                    self.stop_peer(id);
                }
            }
        }
    }

    fn start_peer(&mut self, id: i32, address: String) {
        let (wake, woken) = local_channel::new_bounded(1);
        let mut client_config =
            ClientConfig::new(address.clone(), format!("raft-client-{}", self.node_id));
        client_config.request_timeout_ms = self.request_timeout_ms;
        client_config.reconnect_backoff_ms = self.retry_backoff_ms.max(1);
        let queue = Rc::new(RefCell::new(PeerQueue::new(self.request_timeout_ms)));
        let peer = PeerTask {
            to: id,
            client: PeerClient::new(client_config),
            queue: queue.clone(),
            woken,
            events: self.events.clone(),
            clock: self.clock,
        };
        glommio::spawn_local(peer.run()).detach();
        let previous = self.peers.insert(
            id,
            Peer {
                address,
                queue,
                wake,
            },
        );
        assert!(previous.is_none(), "peer {id} started twice");
    }

    /// Ends the peer's task (it drops its connection once its send in flight returns) and fails
    /// every request it held: the core hears of each under its correlation id.
    fn stop_peer(&mut self, id: i32) {
        let peer = self.peers.remove(&id).expect("stopping a known peer");
        let failed = peer.queue.borrow_mut().close();
        for correlation_id in failed {
            self.report_failure(id, correlation_id);
        }
    }

    /// `Output::Send`: queues the request for its peer, without waiting.
    pub fn send(&self, to: i32, correlation_id: u64, request: Request) {
        match self.peers.get(&to) {
            Some(Peer { queue, wake, .. }) => {
                if queue.borrow_mut().push(correlation_id, request).is_err() {
                    self.report_failure(to, correlation_id);
                } else {
                    // Full means a wake-up is pending already.
                    let _ = wake.try_send(());
                }
            }
            None => {
                tracing::warn!(to, "request for a node that is not in the address book");
                self.report_failure(to, correlation_id);
            }
        }
    }

    /// Queues the failure of a request to `to` for the Raft loop, without waiting.
    fn report_failure(&self, to: i32, correlation_id: u64) {
        let error = RequestError::Disconnected;
        if !self.failures.borrow_mut().push(to, correlation_id, error) {
            tracing::warn!(
                to,
                "failure report queue full; the core's request timeout covers it"
            );
        }
        // Full means a wake-up is pending already.
        let _ = self.failures_wake.try_send(());
    }

    /// Ends the peers' tasks (once idle) and waits until the queued failures went out.
    pub async fn close(self) {
        drop(self.peers);
        drop(self.failures_wake);
        self.reporter.await;
    }
}

/// Hands queued request failures to the Raft loop; waiting on the link is fine here, the
/// command loop does not wait for this task. Ends when the command loop drops its wake-up
/// sender (after the queue is drained) or the Raft loop is gone.
async fn report_failures(
    failures: Rc<RefCell<FailureQueue>>,
    woken: LocalReceiver<()>,
    events: Rc<Tx<NetEvent>>,
) {
    loop {
        for _ in 0..kraft_driver::net::FAILURE_QUEUE_CAPACITY {
            let next = failures.borrow_mut().pop();
            let Some(input) = next else {
                break;
            };
            let Some(event) = net_event(input) else {
                continue;
            };
            if events.send(event).await.is_err() {
                return;
            }
        }
        if woken.recv().await.is_none() && failures.borrow().is_empty() {
            return;
        }
    }
}

/// The Raft loop's event for an input the driver's network side produced (answers and
/// failures; it produces nothing else).
fn net_event(input: Input) -> Option<NetEvent> {
    match input {
        Input::Response {
            from,
            correlation_id,
            response,
        } => Some(NetEvent::Response {
            from,
            correlation_id,
            response,
        }),
        Input::RequestFailed {
            to,
            correlation_id,
            error,
        } => Some(NetEvent::RequestFailed {
            to,
            correlation_id,
            error,
        }),
        other => {
            tracing::error!(?other, "not a network event");
            None
        }
    }
}

/// One peer's task: sends the queued requests one at a time and reports each answer or failure
/// to the Raft loop, under the core's correlation id, when the queue says it answers the request
/// in flight.
struct PeerTask {
    to: i32,
    client: PeerClient,
    queue: SharedPeerQueue,
    woken: LocalReceiver<()>,
    events: Rc<Tx<NetEvent>>,
    clock: Clock,
}

impl PeerTask {
    async fn run(mut self) {
        loop {
            let next = self.queue.borrow_mut().start_next(self.clock.now_ms());
            let Some((correlation_id, request)) = next else {
                // Idle until the command loop queues more; it drops the sender to stop us.
                if self.woken.recv().await.is_none() {
                    return;
                }
                continue;
            };
            let result = self.client.send(&request).await;
            let input = match result {
                Ok(response) => {
                    let mut queue = self.queue.borrow_mut();
                    queue.on_response(self.to, correlation_id, response)
                }
                Err(error) => {
                    tracing::debug!(to = self.to, %error, "request failed");
                    let mut queue = self.queue.borrow_mut();
                    queue.on_failure(self.to, correlation_id, request_error(&error))
                }
            };
            let Some(event) = input.and_then(net_event) else {
                continue;
            };
            if self.events.send(event).await.is_err() {
                return;
            }
        }
    }
}

/// How the core sees a failed exchange with a peer.
fn request_error(error: &ClientError) -> RequestError {
    match error {
        ClientError::Timeout { .. } => RequestError::Timeout,
        ClientError::UnsupportedVersion { .. } => RequestError::UnsupportedVersion,
        ClientError::Disconnected { .. }
        | ClientError::BadResponse { .. }
        | ClientError::Encode { .. } => RequestError::Disconnected,
    }
}
