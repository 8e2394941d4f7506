//! A simulated node's outbound requests, driven through the runtime's own
//! [`PeerQueue`] and [`FailureQueue`] (kraft-driver): per peer, the core's requests wait in a
//! bounded FIFO and go on the wire one at a time; the answer, the connection failure or the
//! request timeout of the request in flight reaches the core under its correlation id, and
//! anything else (a late answer to a request that timed out, a duplicate) is dropped, as the
//! runtime's peer client drops it. Requests the queue cannot take fail through the bounded
//! failure queue, handed to the Raft loop as its own event. What the simulator adds is the wire
//! (seeded delay, loss, duplication, partitions) and the peers' crashes.
//!
//! [`PeerQueue`]: kraft_driver::PeerQueue
//! [`FailureQueue`]: kraft_driver::FailureQueue

use kraft_driver::PeerQueue;
use kraft_engine::io::RequestError;
use kraft_engine::message::{Request, Response};

use super::{Cluster, EventKind, Wire};
use crate::checker::Invariant;
use crate::network::{NodeId, SendOutcome};

impl Cluster {
    /// `Output::Send`: the request joins its peer's queue (or fails at once when it is full).
    pub(super) fn send_request(
        &mut self,
        i: usize,
        to: NodeId,
        correlation_id: u64,
        request: Request,
    ) {
        let from = self.nodes[i].id;
        self.hash_words(&[21, to as u64, request.kind().api_key() as u64]);
        if to >= 0 && self.node_index(to).is_none() {
            self.violation(
                Invariant::Contract,
                Some(from),
                format!("request to unknown node {to}: {request:?}"),
            );
            return;
        }
        if !matches!(self.nodes[i].address_book.get(&to), Some(Some(_))) {
            // Not in the core's address book (or nobody listens at its address): the runtime
            // fails it the same way.
            self.queue_failure(i, to, correlation_id);
            return;
        }
        let previous = self.nodes[i].last_correlation_id;
        if correlation_id <= previous {
            self.violation(
                Invariant::Contract,
                Some(from),
                format!("correlation id {correlation_id} after {previous}: ids must be unique"),
            );
        }
        let node = &mut self.nodes[i];
        node.last_correlation_id = node.last_correlation_id.max(correlation_id);
        let timeout_ms = node.config.request_timeout_ms;
        let peer = node
            .peers
            .entry(to)
            .or_insert_with(|| PeerQueue::new(timeout_ms));
        if peer.push(correlation_id, request).is_err() {
            self.queue_failure(i, to, correlation_id);
            return;
        }
        self.start_next_request(i, to);
    }

    /// Puts the next queued request to `to` on the wire if none is in flight; its timeout is
    /// scheduled with it.
    fn start_next_request(&mut self, i: usize, to: NodeId) {
        let clock = self.node_clock(i);
        let node = &mut self.nodes[i];
        let Some(peer) = node.peers.get_mut(&to) else {
            return;
        };
        let Some((correlation_id, request)) = peer.start_next(clock) else {
            return;
        };
        let from = node.id;
        let incarnation = node.incarnation;
        let timeout_ms = node.config.request_timeout_ms;
        // `send_request` queued it only for a resolved address.
        let destination = node.address_book.get(&to).copied().flatten().unwrap_or(to);
        let wire = Wire::Request {
            correlation_id,
            incarnation,
            addressed_as: to,
            request,
        };
        let outcome = self.network.send(
            self.now_ms,
            from,
            destination,
            Box::new(wire),
            &mut self.rng,
        );
        if outcome == SendOutcome::Overloaded {
            self.violation(
                Invariant::Contract,
                Some(from),
                "network flooded: too many messages in flight".to_string(),
            );
        }
        let timeout = EventKind::RequestTimeout {
            node: i,
            incarnation,
            to,
            correlation_id,
        };
        self.schedule(timeout_ms, timeout);
    }

    /// Whether request `correlation_id` is the one node `i` has in flight to `to`.
    pub(super) fn is_in_flight(&self, i: usize, to: NodeId, correlation_id: u64) -> bool {
        self.nodes[i]
            .peers
            .get(&to)
            .and_then(PeerQueue::in_flight)
            .is_some_and(|f| f.correlation_id == correlation_id)
    }

    /// The ids of node `i`'s address book that name node `id`.
    pub(super) fn book_ids_of(&self, i: usize, id: NodeId) -> Vec<NodeId> {
        self.nodes[i]
            .address_book
            .iter()
            .filter(|(_, &node)| node == Some(id))
            .map(|(&book_id, _)| book_id)
            .collect()
    }

    /// The request node `i` has in flight to `to`, if any.
    pub(super) fn in_flight_to(&self, i: usize, to: NodeId) -> Option<u64> {
        let in_flight = self.nodes[i].peers.get(&to)?.in_flight()?;
        Some(in_flight.correlation_id)
    }

    /// A response from `from` reached node `j`: the core takes it if it answers the request in
    /// flight; the next queued request goes out.
    pub(super) fn on_peer_response(
        &mut self,
        j: usize,
        from: NodeId,
        correlation_id: u64,
        response: Response,
    ) {
        let Some(peer) = self.nodes[j].peers.get_mut(&from) else {
            return;
        };
        let Some(input) = peer.on_response(from, correlation_id, response) else {
            self.net_counts.answers_dropped += 1;
            let id = self.nodes[j].id;
            self.trace_line(|| format!("node {id} drops response {correlation_id} from {from}"));
            return;
        };
        self.step_node(j, input);
        self.start_next_request(j, from);
    }

    /// Node `i`'s connection to `to` was reset or refused: its request in flight there fails.
    pub(super) fn on_peer_disconnected(&mut self, i: usize, to: NodeId, correlation_id: u64) {
        let error = RequestError::Disconnected;
        let Some(peer) = self.nodes[i].peers.get_mut(&to) else {
            return;
        };
        if let Some(input) = peer.on_failure(to, correlation_id, error) {
            self.step_node(i, input);
            self.start_next_request(i, to);
        }
    }

    /// Node `i`'s request `correlation_id` to `to` reached its deadline: it fails with a timeout
    /// if still in flight.
    pub(super) fn on_request_timeout(&mut self, i: usize, to: NodeId, correlation_id: u64) {
        let clock = self.node_clock(i);
        let Some(peer) = self.nodes[i].peers.get_mut(&to) else {
            return;
        };
        if let Some(input) = peer.on_timeout(to, correlation_id, clock) {
            self.net_counts.request_timeouts += 1;
            self.step_node(i, input);
            self.start_next_request(i, to);
        }
    }

    /// A request the peer queue could not take fails through the bounded failure queue.
    fn queue_failure(&mut self, i: usize, to: NodeId, correlation_id: u64) {
        let node = &mut self.nodes[i];
        if !node
            .failures
            .push(to, correlation_id, RequestError::Disconnected)
        {
            // Dropped: the core's own request timeout covers it.
            return;
        }
        if !node.failure_report_scheduled {
            node.failure_report_scheduled = true;
            let incarnation = node.incarnation;
            self.schedule(
                0,
                EventKind::FailureReport {
                    node: i,
                    incarnation,
                },
            );
        }
    }

    /// The Raft loop takes the queued failures, oldest first.
    pub(super) fn report_failures(&mut self, i: usize) {
        self.nodes[i].failure_report_scheduled = false;
        for _ in 0..kraft_driver::net::FAILURE_QUEUE_CAPACITY {
            let Some(input) = self.nodes[i].failures.pop() else {
                return;
            };
            self.step_node(i, input);
            if !self.is_running(i) {
                break;
            }
        }
        if !self.nodes[i].failures.is_empty() && self.is_up(i) {
            self.nodes[i].failure_report_scheduled = true;
            let incarnation = self.nodes[i].incarnation;
            self.schedule(
                1,
                EventKind::FailureReport {
                    node: i,
                    incarnation,
                },
            );
        }
    }
}
