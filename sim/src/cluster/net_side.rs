//! A simulated node's network side: requests sent on the simulated wire, responses written back
//! (a Fetch response's log range read now or later, `log_side`), and messages delivered to a node
//! (held while it is paused, refused while it is down, dropped when they answer an earlier
//! process), with fetched bytes damaged in flight now and then in chaos.

use bytes::Bytes;
use kraft_engine::io::Input;
use kraft_engine::message::{Records, Request, Response};
use kraft_records::BatchIter;

use super::{election_record, Cluster, EventKind, Inbound, Wire, MAX_DEFERRED, MAX_INBOUND};
use crate::checker::Invariant;
use crate::network::{NodeId, SendOutcome};

impl Cluster {
    pub(super) fn send_request(
        &mut self,
        i: usize,
        to: NodeId,
        correlation_id: u64,
        request: Request,
    ) {
        let now = self.now_ms;
        let from = self.nodes[i].id;
        self.hash_words(&[21, to as u64, request.kind().api_key() as u64]);
        if self.node_index(to).is_none() {
            self.violation(
                Invariant::Contract,
                Some(from),
                format!("request to unknown node {to}: {request:?}"),
            );
            return;
        }
        let incarnation = self.nodes[i].incarnation;
        if let Some(&previous) = self.nodes[i].outstanding.get(&to) {
            if correlation_id <= previous {
                self.violation(
                    Invariant::Contract,
                    Some(from),
                    format!("correlation id {correlation_id} after {previous}: ids must be unique"),
                );
            }
        }
        self.nodes[i].outstanding.insert(to, correlation_id);
        let outcome = self.network.send(
            now,
            from,
            to,
            Box::new(Wire::Request {
                correlation_id,
                incarnation,
                request,
            }),
            &mut self.rng,
        );
        if outcome == SendOutcome::Overloaded {
            self.violation(
                Invariant::Contract,
                Some(from),
                "network flooded: too many messages in flight".to_string(),
            );
        }
    }

    pub(super) fn respond(&mut self, i: usize, request_id: u64, response: Response) {
        let now = self.now_ms;
        let id = self.nodes[i].id;
        let Some(inbound) = self.nodes[i].inbound.remove(&request_id) else {
            self.violation(
                Invariant::Contract,
                Some(id),
                format!("response to unknown request {request_id}: {response:?}"),
            );
            return;
        };
        let mut response = response;
        if let Response::Vote(vote) = &response {
            self.hash_words(&[22, vote.vote_granted as u64, vote.leader_epoch as u64]);
            if let (true, Some((candidate, epoch))) = (vote.vote_granted, inbound.vote) {
                let durable = self.nodes[i].disk.quorum_state().map(election_record);
                self.checker
                    .on_vote_granted_sent(now, id, candidate, epoch, durable);
            }
        }
        if let Response::FetchSnapshot(fetch_snapshot) = &mut response {
            self.read_snapshot_range(i, fetch_snapshot);
        }
        if let Response::Fetch(fetch) = &mut response {
            let from_observer = self
                .node_index(inbound.from)
                .is_some_and(|c| !self.nodes[c].is_voter);
            // Only a fetch at a valid position updates the leader's replica state (Kafka skips it
            // for a diverging epoch or a snapshot redirect).
            if from_observer
                && fetch.error_code.is_none()
                && fetch.partition_error_code.is_none()
                && fetch.current_leader.leader_id == id
                && fetch.diverging_epoch.epoch < 0
                && fetch.snapshot_id.end_offset < 0
            {
                self.observer_fetches
                    .insert((id, fetch.current_leader.leader_epoch, inbound.from), now);
            }
            if let Records::LogRange { generation, .. } = fetch.records {
                let core_generation = self.nodes[i].log.core_generation;
                if generation != core_generation {
                    self.violation(
                        Invariant::Contract,
                        Some(id),
                        format!(
                            "LogRange of generation {generation}, the core is at {core_generation}"
                        ),
                    );
                }
                if self.net_side_lags() {
                    self.defer_fetch_response(i, inbound, response);
                    return;
                }
                fetch.records = self.read_log_range(i, fetch.records.clone());
            }
        }
        self.send_response(i, inbound, response);
    }

    pub(super) fn send_response(&mut self, i: usize, inbound: Inbound, response: Response) {
        let id = self.nodes[i].id;
        self.network.send(
            self.now_ms,
            id,
            inbound.from,
            Box::new(Wire::Response {
                correlation_id: inbound.correlation_id,
                incarnation: inbound.incarnation,
                response,
            }),
            &mut self.rng,
        );
    }

    pub(super) fn deliver(&mut self, from: NodeId, to: NodeId, wire: Wire) {
        let Some(j) = self.node_index(to) else {
            return;
        };
        if self.is_up(j) && self.is_paused(j) {
            if self.nodes[j].deferred.len() < MAX_DEFERRED {
                self.nodes[j].deferred.push_back((from, wire));
            }
            return;
        }
        match wire {
            Wire::Request {
                correlation_id,
                incarnation,
                request,
            } => self.deliver_request(from, j, correlation_id, incarnation, request),
            Wire::Response {
                correlation_id,
                incarnation,
                response,
            } => self.deliver_response(from, j, correlation_id, incarnation, response),
        }
    }

    /// A request reaches node `j`: refused if it is down, else handed to its core.
    fn deliver_request(
        &mut self,
        from: NodeId,
        j: usize,
        correlation_id: u64,
        incarnation: u64,
        request: Request,
    ) {
        let to = self.nodes[j].id;
        if !self.is_up(j) {
            // Connection refused: the sender learns at once.
            if let Some(c) = self.node_index(from) {
                if self.is_up(c) && self.nodes[c].outstanding.get(&to) == Some(&correlation_id) {
                    let incarnation = self.nodes[c].incarnation;
                    self.schedule(
                        1,
                        EventKind::Disconnected {
                            node: c,
                            incarnation,
                            to,
                            correlation_id,
                        },
                    );
                }
            }
            return;
        }
        if self.nodes[j].inbound.len() >= MAX_INBOUND {
            self.violation(
                Invariant::Contract,
                Some(to),
                format!("more than {MAX_INBOUND} requests left unanswered"),
            );
            return;
        }
        let request_id = self.next_request_id;
        self.next_request_id += 1;
        let vote = match &request {
            Request::Vote(v) if !v.pre_vote => Some((v.candidate_id, v.candidate_epoch)),
            _ => None,
        };
        let inbound = Inbound {
            from,
            correlation_id,
            incarnation,
            vote,
        };
        self.nodes[j].inbound.insert(request_id, inbound);
        let input = Input::Request {
            request_id,
            request,
        };
        self.step_node(j, input);
    }

    /// A response reaches node `j`: dropped if it answers an earlier process, else handed to its
    /// core.
    fn deliver_response(
        &mut self,
        from: NodeId,
        j: usize,
        correlation_id: u64,
        incarnation: u64,
        mut response: Response,
    ) {
        // The connection of an earlier process is gone with it.
        if !self.is_up(j) || self.nodes[j].incarnation != incarnation {
            return;
        }
        if self.corrupt_ppm > 0 {
            self.maybe_corrupt(&mut response);
        }
        if self.nodes[j].outstanding.get(&from) == Some(&correlation_id) {
            self.nodes[j].outstanding.remove(&from);
        }
        // Late, duplicated and reordered responses reach the core too: it must refuse every one
        // that does not answer its request in flight.
        let input = Input::Response {
            from,
            correlation_id,
            response,
        };
        self.step_node(j, input);
    }

    /// Flips one bit of one fetched batch in the part its CRC covers, so the follower must notice
    /// and must not append it. Bytes outside the CRC (base offset, length, leader epoch) are left
    /// alone: nothing, in Kafka either, can detect damage there. (An earlier version picked the
    /// byte over the whole response and so could hit a later batch's epoch: seeds 25346, 60679.)
    pub(super) fn maybe_corrupt(&mut self, response: &mut Response) {
        const CRC_COVERED_FROM: usize = 21;
        let Response::Fetch(fetch) = response else {
            return;
        };
        let Records::Bytes(bytes) = &fetch.records else {
            return;
        };
        if bytes.is_empty() || !self.rng.chance_ppm(self.corrupt_ppm) {
            return;
        }
        // Whole batches of the response: (start, length).
        let mut batches: Vec<(usize, usize)> = Vec::new();
        let mut iter = BatchIter::new(bytes);
        loop {
            let start = iter.position();
            match iter.next() {
                Some(Ok(batch)) if batch.bytes.len() > CRC_COVERED_FROM => {
                    batches.push((start, batch.bytes.len()));
                }
                _ => break,
            }
        }
        if batches.is_empty() {
            return;
        }
        let (start, length) = batches[self.rng.index(batches.len())];
        let mut damaged = bytes.to_vec();
        let position = start + CRC_COVERED_FROM + self.rng.index(length - CRC_COVERED_FROM);
        damaged[position] ^= 1 << self.rng.below(8);
        self.hash_words(&[8, position as u64]);
        self.trace_line(|| format!("corrupting fetched byte {position}"));
        fetch.records = Records::Bytes(Bytes::from(damaged));
    }
}
