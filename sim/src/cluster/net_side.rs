//! A simulated node's network side, inbound: requests delivered to the core (held while the node
//! is paused, refused while it is down), its answers written back, and responses handed to the
//! peer queues (`peers`; answers to an earlier process are dropped), with fetched bytes damaged
//! in flight now and then in chaos. A Fetch response's log range is read as the runtime's
//! network role reads it: only while the log is in the range's generation
//! (`kraft_driver::log_range_readable`), now or, in chaos, late (its executor busy); the log side
//! may be behind the core or ahead of the response (`log_side`). The records served are judged
//! against the core's own log.

use bytes::Bytes;
use kraft_engine::io::Input;
use kraft_engine::message::{ApiVersionsResponse, ErrorCode, Records, Request, Response};
use kraft_engine::voters::{SUPPORTED_KRAFT_VERSION_MAX, SUPPORTED_KRAFT_VERSION_MIN};
use kraft_records::BatchIter;

use super::{election_record, Cluster, EventKind, Inbound, Wire, MAX_DEFERRED, MAX_INBOUND};
use crate::checker::Invariant;
use crate::network::NodeId;

/// In chaos, the odds (per million) that the network side reads a Fetch response's log range
/// late (its executor busy), after log commands the core issued since, and how late.
const FETCH_READ_LAG_PPM: u32 = 100_000;
const FETCH_READ_LAG_MS: (u64, u64) = (1, 50);
/// Of those, the odds (per million) of a long stall instead.
const FETCH_READ_STALL_PPM: u32 = 100_000;
const FETCH_READ_STALL_MS: (u64, u64) = (500, 3_000);

impl Cluster {
    pub(super) fn respond(&mut self, i: usize, request_id: u64, response: Response) {
        let now = self.now_ms;
        let id = self.nodes[i].id;
        if self.is_operator_request(request_id) {
            self.on_operator_response(i, request_id, response);
            return;
        }
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
                let granter = self.replica_key_of(i);
                self.checker.on_vote_granted_key(epoch, candidate, granter);
            }
        }
        if let Response::FetchSnapshot(fetch_snapshot) = &mut response {
            self.read_snapshot_range(i, fetch_snapshot);
        }
        if let Response::Fetch(fetch) = &mut response {
            let from_observer = self.node_index(inbound.from).is_some_and(|c| {
                let key = self.replica_key_of(c);
                self.nodes[i]
                    .core
                    .as_ref()
                    .is_some_and(|core| !core.voter_set().iter().any(|v| v.is_voter(key)))
            });
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
                addressed_as: inbound.addressed_as,
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
                addressed_as,
                request,
            } => {
                let inbound = Inbound {
                    from,
                    correlation_id,
                    incarnation,
                    vote: None,
                    addressed_as,
                };
                self.deliver_request(j, inbound, request)
            }
            Wire::Response {
                correlation_id,
                incarnation,
                addressed_as,
                response,
            } => self.deliver_response(addressed_as, j, correlation_id, incarnation, response),
        }
    }

    /// A request reaches node `j`: refused if it is down, answered by the network side if it is
    /// an ApiVersions (the server's own answer, not the core's), else handed to its core.
    fn deliver_request(&mut self, j: usize, mut inbound: Inbound, request: Request) {
        let to = self.nodes[j].id;
        let from = inbound.from;
        if !self.is_up(j) {
            // Connection refused: the sender learns at once.
            let (addressed_as, correlation_id) = (inbound.addressed_as, inbound.correlation_id);
            if let Some(c) = self.node_index(from) {
                if self.is_up(c) && self.is_in_flight(c, addressed_as, correlation_id) {
                    let incarnation = self.nodes[c].incarnation;
                    self.schedule(
                        1,
                        EventKind::Disconnected {
                            node: c,
                            incarnation,
                            to: addressed_as,
                            correlation_id,
                        },
                    );
                }
            }
            return;
        }
        if let Request::ApiVersions(_) = request {
            // What the server's ApiVersions answer advertises: kraft.version 0..1.
            let response = Response::ApiVersions(ApiVersionsResponse {
                error_code: ErrorCode::NONE,
                kraft_version: Some((SUPPORTED_KRAFT_VERSION_MIN, SUPPORTED_KRAFT_VERSION_MAX)),
            });
            self.send_response(j, inbound, response);
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
        inbound.vote = match &request {
            Request::Vote(v) if !v.pre_vote => Some((v.candidate_id, v.candidate_epoch)),
            _ => None,
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
        // Late and duplicated responses are dropped by the peer queue, as the runtime's client
        // drops them; the core refuses any other that does not answer its request in flight.
        self.on_peer_response(j, from, correlation_id, response);
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

    /// Whether the network side reads this Fetch response's log range later (seeded, in chaos).
    pub(super) fn net_side_lags(&mut self) -> bool {
        self.now_ms < self.chaos_until_ms && self.rng.chance_ppm(FETCH_READ_LAG_PPM)
    }

    /// Holds a Fetch response for the network side to read its log range later.
    pub(super) fn defer_fetch_response(&mut self, i: usize, inbound: Inbound, response: Response) {
        let node = &mut self.nodes[i];
        if node.fetch_reads.len() >= MAX_INBOUND {
            // A bounded queue: the response is lost, as on a reset connection.
            return;
        }
        let key = inbound.correlation_id ^ (u64::from(inbound.from as u32) << 48);
        let key = (key..)
            .find(|k| !node.fetch_reads.contains_key(k))
            .expect("a free key");
        node.fetch_reads.insert(key, (inbound, response));
        let incarnation = node.incarnation;
        let (low_ms, high_ms) = if self.rng.chance_ppm(FETCH_READ_STALL_PPM) {
            FETCH_READ_STALL_MS
        } else {
            FETCH_READ_LAG_MS
        };
        let delay = self.rng.range_inclusive(low_ms, high_ms);
        self.schedule(
            delay,
            EventKind::FetchResponseRead {
                node: i,
                incarnation,
                key,
            },
        );
    }

    pub(super) fn read_deferred_fetch_response(&mut self, i: usize, key: u64) {
        let Some((inbound, mut response)) = self.nodes[i].fetch_reads.remove(&key) else {
            return;
        };
        if let Response::Fetch(fetch) = &mut response {
            fetch.records = self.read_log_range(i, fetch.records.clone());
        }
        self.send_response(i, inbound, response);
    }

    /// Resolves a `LogRange` as the network side does: only while the log is at the range's
    /// generation (a log truncated since holds other bytes there), otherwise no records.
    pub(super) fn read_log_range(&mut self, i: usize, records: Records) -> Records {
        let Records::LogRange {
            from_offset,
            max_bytes,
            generation,
        } = records
        else {
            return records;
        };
        let disk = &self.nodes[i].disk;
        let log_generation = disk.generation();
        let bytes = if kraft_driver::log_range_readable(generation, log_generation) {
            disk.read_range(from_offset, max_bytes)
        } else {
            bytes::Bytes::new()
        };
        if generation > log_generation {
            self.net_counts.ranges_ahead_of_log += 1;
        } else if generation < log_generation {
            self.net_counts.ranges_behind_log += 1;
        }
        self.hash_words(&[23, from_offset as u64, bytes.len() as u64]);
        self.check_served_records(i, generation, &bytes);
        if bytes.is_empty() {
            Records::Empty
        } else {
            Records::Bytes(bytes)
        }
    }

    /// While the core is still in the range's generation, the records served must be what its
    /// log holds at those offsets: the last served batch closes the same chain of batches in the
    /// disk and in the core's log (equal prefix hashes).
    fn check_served_records(&mut self, i: usize, generation: u64, bytes: &Bytes) {
        let node = &self.nodes[i];
        if bytes.is_empty() || node.log.core_generation != generation {
            return;
        }
        let Some(last_base_offset) = BatchIter::new(bytes)
            .map_while(Result::ok)
            .last()
            .map(|batch| batch.header.base_offset)
        else {
            return;
        };
        let served = node.disk.batch_containing(last_base_offset);
        let meant = node.core_log.batch_containing(last_base_offset);
        if served.map(|b| b.prefix_hash) != meant.map(|b| b.prefix_hash) {
            let id = node.id;
            let detail = format!(
                "Fetch response of generation {generation} serves a batch at {last_base_offset} that the core's log does not hold (the log side is at generation {})",
                node.disk.generation()
            );
            self.violation(Invariant::FetchRecordsNotInLog, Some(id), detail);
        }
    }
}
