//! Dispatch of inbound requests and responses, the common response handling, and sending what
//! each state needs (one request in flight per destination).

use super::RaftNode;
use crate::io::RequestError;
use crate::message::{
    BeginQuorumEpochRequest, EndQuorumEpochRequest, ErrorCode, FetchRequest, ReplicaKey, Request,
    Response, Uuid, VoteRequest,
};
use crate::state::QuorumState;

impl RaftNode {
    pub(super) fn handle_request(&mut self, request_id: u64, request: Request) {
        match request {
            Request::Vote(r) => {
                let response = self.handle_vote_request(r);
                self.respond(request_id, Response::Vote(response));
            }
            Request::BeginQuorumEpoch(r) => {
                let response = self.handle_begin_quorum_epoch_request(r);
                self.respond(request_id, Response::BeginQuorumEpoch(response));
            }
            Request::EndQuorumEpoch(r) => {
                let response = self.handle_end_quorum_epoch_request(r);
                self.respond(request_id, Response::EndQuorumEpoch(response));
            }
            Request::Fetch(r) => self.handle_fetch_request(request_id, r),
            Request::FetchSnapshot(r) => {
                let response = self.handle_fetch_snapshot_request(r);
                self.respond(request_id, Response::FetchSnapshot(response));
            }
            Request::DescribeQuorum(r) => {
                let response = self.handle_describe_quorum_request(r);
                self.respond(request_id, Response::DescribeQuorum(response));
            }
            Request::DescribeCluster(r) => {
                let response = self.handle_describe_cluster_request(r);
                self.respond(request_id, Response::DescribeCluster(response));
            }
            Request::AddRaftVoter(r) => self.handle_add_raft_voter_request(request_id, r),
            Request::RemoveRaftVoter(r) => self.handle_remove_raft_voter_request(request_id, r),
            Request::UpdateRaftVoter(r) => {
                let response = self.handle_update_raft_voter_request(r);
                self.respond(request_id, Response::UpdateRaftVoter(response));
            }
            Request::ApiVersions(_) => {
                // The network layer answers inbound ApiVersions itself; one reaching the core
                // is a runtime bug, answered like a request this node cannot serve.
                let response = crate::message::ApiVersionsResponse {
                    error_code: ErrorCode::INVALID_REQUEST,
                    kraft_version: None,
                };
                self.respond(request_id, Response::ApiVersions(response));
            }
        }
    }

    pub(super) fn handle_response(&mut self, from: i32, correlation_id: u64, response: Response) {
        if !self
            .connections
            .on_response(from, correlation_id, response.kind())
        {
            // Not the response we wait for (late, duplicated, or from before a transition).
            return;
        }
        if response.error_code() == ErrorCode::UNSUPPORTED_VERSION
            && matches!(response, Response::Vote(_))
            && matches!(self.state, QuorumState::Prospective(_))
        {
            // A voter that does not know pre-vote (Vote v2): run a standard election.
            self.transition_to_candidate();
            return;
        }
        let success = match response {
            // The voter-change APIs carry their errors at the top level: their handlers decide.
            Response::ApiVersions(r) => self.handle_api_versions_response(from, r),
            Response::UpdateRaftVoter(r) => self.handle_update_raft_voter_response(r),
            Response::AddRaftVoter(r) => self.handle_add_raft_voter_response(r),
            Response::RemoveRaftVoter(r) => self.handle_remove_raft_voter_response(r),
            // Top-level errors (cluster id, bad request, broker not available): back off.
            _ if !response.error_code().is_none() => false,
            Response::Vote(r) => self.handle_vote_response(from, r),
            Response::BeginQuorumEpoch(r) => self.handle_begin_quorum_epoch_response(from, r),
            Response::EndQuorumEpoch(r) => self.handle_end_quorum_epoch_response(from, r),
            Response::Fetch(r) => self.handle_fetch_response(from, r),
            Response::FetchSnapshot(r) => self.handle_fetch_snapshot_response(from, r),
            // This node never sends DescribeQuorum or DescribeCluster.
            Response::DescribeQuorum(_) | Response::DescribeCluster(_) => true,
        };
        if !success {
            self.on_request_failure(from);
        }
    }

    pub(super) fn handle_request_failed(
        &mut self,
        to: i32,
        correlation_id: u64,
        error: RequestError,
    ) {
        if !self.connections.is_in_flight(to, correlation_id) {
            // A request the core already gave up on (timed out, or forgotten at a transition).
            return;
        }
        // KIP-996: a voter that does not know pre-vote cannot answer one; run a standard
        // election instead of waiting for a pre-vote majority that may never come.
        if error == RequestError::UnsupportedVersion
            && matches!(self.state, QuorumState::Prospective(_))
        {
            self.transition_to_candidate();
            return;
        }
        self.api_versions_request_failed(to, error);
        self.on_request_failure(to);
    }

    pub(super) fn on_request_failure(&mut self, to: i32) {
        if let QuorumState::Follower(f) = &mut self.state {
            if f.rediscover_from == Some(to) {
                // That node is unreachable: back to the leader (the next fetch timeout picks
                // another one to ask).
                f.rediscover_from = None;
            }
        }
        self.connections
            .on_failure(to, self.now_ms, self.config.retry_backoff_ms);
    }

    /// A response that names its partition by topic name (Vote, Begin/EndQuorumEpoch,
    /// FetchSnapshot): one for another partition is not handled (`Some(false)`); otherwise
    /// [`handle_common_response`](Self::handle_common_response).
    pub(super) fn handle_named_response(
        &mut self,
        topic_name: &str,
        partition: i32,
        error: ErrorCode,
        leader_id: i32,
        epoch: i32,
    ) -> Option<bool> {
        if !self.api_matches_topic(topic_name, partition) {
            return Some(false);
        }
        self.handle_common_response(error, leader_id, epoch)
    }

    /// Kafka's `maybeHandleCommonResponse`: `Some(result)` when the response was fully handled
    /// by the epoch rules, `None` when the API handler should go on.
    pub(super) fn handle_common_response(
        &mut self,
        error: ErrorCode,
        leader_id: i32,
        epoch: i32,
    ) -> Option<bool> {
        let leader = (leader_id >= 0).then_some(leader_id);
        let local_epoch = self.state.epoch();
        if epoch < local_epoch || error == ErrorCode::UNKNOWN_LEADER_EPOCH {
            // This node already moved on; the response is stale.
            Some(true)
        } else if epoch > local_epoch
            || error == ErrorCode::FENCED_LEADER_EPOCH
            || error == ErrorCode::NOT_LEADER_OR_FOLLOWER
        {
            let before = (
                self.state.epoch(),
                self.state.leader_id(self.config.node_id),
            );
            self.maybe_transition(leader, epoch);
            let after = (
                self.state.epoch(),
                self.state.leader_id(self.config.node_id),
            );
            // Nothing learned (e.g. NOT_LEADER_OR_FOLLOWER from a resigned leader of this
            // epoch): back off instead of asking the same node again at once.
            Some(before != after)
        } else if epoch == local_epoch
            && leader.is_some()
            && (self.state.leader_id(self.config.node_id).is_none()
                || matches!(self.state, QuorumState::Unattached(_)))
        {
            // Learn the leader; a successful Fetch goes on into the handler so an observer can
            // find the leader and append from the same response.
            let consistent = self.maybe_transition(leader, epoch);
            if !consistent {
                // It contradicts what this node knows (e.g. names this node the leader of an
                // epoch it does not lead): back off rather than ask again at once.
                Some(false)
            } else if error.is_none() {
                None
            } else {
                Some(true)
            }
        } else {
            None
        }
    }

    /// Sends every request the current state needs to destinations that are ready.
    pub(super) fn maybe_send_requests(&mut self) {
        let now = self.now_ms;
        match &self.state {
            // A Fetch during a snapshot load would bring records for a log about to be replaced.
            QuorumState::Unattached(_) | QuorumState::Follower(_) if self.is_loading_snapshot() => {
            }
            QuorumState::Unattached(_) => {
                // Kafka 4.x: voters and observers without a leader ask the bootstrap servers
                // (here: the voters) with Fetch; a response naming the leader attaches them.
                if self.shutdown.is_none() || !self.is_voter() {
                    self.maybe_send_bootstrap_fetch();
                }
            }
            QuorumState::Prospective(p) => {
                let targets: Vec<i32> = p.votes.unrecorded().collect();
                debug_assert!(
                    !p.votes.is_lost(),
                    "a lost pre-vote leaves Prospective at once"
                );
                self.send_votes(&targets, true);
            }
            QuorumState::Candidate(c) => {
                // Stop asking once a majority refused (the timeout or backoff decides next).
                if c.backoff_deadline_ms.is_none() && !c.votes.is_lost() {
                    let targets: Vec<i32> = c.votes.unrecorded().collect();
                    self.send_votes(&targets, false);
                }
            }
            QuorumState::Leader(_) => self.send_begin_quorum_epochs(),
            QuorumState::Follower(f) if f.snapshot_download.is_some() => {
                let (leader_id, download) = (f.leader_id, f.snapshot_download);
                if let Some(download) = download {
                    if self.connections.is_ready(leader_id, now) {
                        let request = self.fetch_snapshot_request(download);
                        self.send(leader_id, Request::FetchSnapshot(request));
                    }
                }
            }
            QuorumState::Follower(f) => {
                let target = f.rediscover_from.unwrap_or(f.leader_id);
                if target == f.leader_id && self.maybe_send_voter_request(target) {
                    return;
                }
                // Followers acknowledge only durable data: the next Fetch waits for the flush.
                if self.log.is_fully_flushed() && self.connections.is_ready(target, now) {
                    let request = self.fetch_request();
                    self.send(target, Request::Fetch(request));
                }
            }
            QuorumState::Resigned(r) => {
                let targets: Vec<i32> = r
                    .unacked_voters
                    .iter()
                    .copied()
                    .filter(|&id| self.connections.is_ready(id, now))
                    .collect();
                for to in targets {
                    let request = self.end_quorum_epoch_request();
                    self.send(to, Request::EndQuorumEpoch(request));
                }
            }
        }
    }

    /// The leader's BeginQuorumEpoch to every voter still waiting for one this period.
    fn send_begin_quorum_epochs(&mut self) {
        let QuorumState::Leader(l) = &self.state else {
            return;
        };
        let now = self.now_ms;
        let targets: Vec<i32> = l
            .begin_quorum_pending
            .iter()
            .copied()
            .filter(|&id| self.connections.is_ready(id, now))
            .collect();
        for to in targets {
            if let QuorumState::Leader(l) = &mut self.state {
                l.begin_quorum_pending.remove(&to);
            }
            let request = self.begin_quorum_epoch_request(to);
            self.send(to, Request::BeginQuorumEpoch(request));
        }
    }

    pub(super) fn send(&mut self, to: i32, request: Request) {
        debug_assert_ne!(to, self.config.node_id);
        debug_assert!(
            self.is_known_peer(to),
            "send to {to}, not in the address book {:?}",
            self.peers
        );
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id += 1;
        self.connections.on_sent(
            to,
            correlation_id,
            request.kind(),
            self.now_ms,
            self.config.request_timeout_ms,
        );
        self.emit(crate::io::Output::Send {
            to,
            correlation_id,
            request,
        });
    }

    fn send_votes(&mut self, targets: &[i32], pre_vote: bool) {
        let local_id = self.config.node_id;
        for &to in targets {
            if to != local_id && self.connections.is_ready(to, self.now_ms) {
                let request = self.vote_request(to, pre_vote);
                self.send(to, Request::Vote(request));
            }
        }
    }

    /// Where a node without a leader asks who leads (Kafka 4.x's bootstrap servers): the
    /// configured `controller.quorum.bootstrap.servers` (ids -2, -3, ...), else the voters
    /// other than this node (what Kafka derives from static voters).
    pub(super) fn bootstrap_targets(&self) -> Vec<i32> {
        if !self.config.bootstrap_servers.is_empty() {
            return (0..self.config.bootstrap_servers.len())
                .map(super::peers::bootstrap_id)
                .collect();
        }
        let local_id = self.config.node_id;
        self.voter_set().ids().filter(|&v| v != local_id).collect()
    }

    /// A random bootstrap target (from the seed RNG), if there is any.
    pub(super) fn pick_bootstrap_target(&mut self) -> Option<i32> {
        let targets = self.bootstrap_targets();
        if targets.is_empty() {
            return None;
        }
        Some(targets[self.rng.below(targets.len() as u64) as usize])
    }

    /// No leader known: Fetch from a random bootstrap target to learn who leads.
    fn maybe_send_bootstrap_fetch(&mut self) {
        let voters = self.bootstrap_targets();
        // A Fetch offset acknowledges durable data: never send one ahead of the flush.
        if !self.log.is_fully_flushed() || voters.iter().any(|&v| self.connections.has_in_flight(v))
        {
            return;
        }
        let ready: Vec<i32> = voters
            .into_iter()
            .filter(|&v| self.connections.is_ready(v, self.now_ms))
            .collect();
        if ready.is_empty() {
            return;
        }
        let to = ready[self.rng.below(ready.len() as u64) as usize];
        let request = self.fetch_request();
        self.send(to, Request::Fetch(request));
    }

    fn vote_request(&self, to: i32, pre_vote: bool) -> VoteRequest {
        let (durable_epoch, durable_end) = self.log.durable_position();
        VoteRequest {
            cluster_id: Some(self.config.cluster_id.clone()),
            voter_id: to,
            topic_name: self.config.topic_name.clone(),
            partition: self.config.partition,
            candidate_epoch: self.state.epoch(),
            candidate_id: self.config.node_id,
            candidate_directory_id: self.config.directory_id,
            voter_directory_id: self.voter_directory_id(to),
            last_offset_epoch: durable_epoch,
            last_offset: durable_end,
            pre_vote,
        }
    }

    fn begin_quorum_epoch_request(&self, to: i32) -> BeginQuorumEpochRequest {
        BeginQuorumEpochRequest {
            cluster_id: Some(self.config.cluster_id.clone()),
            voter_id: to,
            topic_name: self.config.topic_name.clone(),
            partition: self.config.partition,
            voter_directory_id: self.voter_directory_id(to),
            leader_id: self.config.node_id,
            leader_epoch: self.state.epoch(),
            leader_endpoints: self.local_leader_endpoints(),
        }
    }

    fn end_quorum_epoch_request(&self) -> EndQuorumEpochRequest {
        let successors = match &self.state {
            QuorumState::Resigned(r) => r.preferred_successors.clone(),
            _ => Vec::new(),
        };
        EndQuorumEpochRequest {
            cluster_id: Some(self.config.cluster_id.clone()),
            topic_name: self.config.topic_name.clone(),
            partition: self.config.partition,
            leader_id: self.config.node_id,
            leader_epoch: self.state.epoch(),
            preferred_candidates: successors
                .iter()
                .map(|&id| ReplicaKey {
                    id,
                    directory_id: self.voter_directory_id(id),
                })
                .collect(),
            preferred_successors: successors,
            leader_endpoints: self.local_leader_endpoints(),
        }
    }

    /// The directory id of voter `id` in the voter set (zero for a static voter or a non-voter).
    fn voter_directory_id(&self, id: i32) -> Uuid {
        self.voter_set()
            .get(id)
            .map_or(Uuid::ZERO, |v| v.key.directory_id)
    }

    fn fetch_request(&self) -> FetchRequest {
        FetchRequest {
            cluster_id: Some(self.config.cluster_id.clone()),
            replica_id: self.config.node_id,
            replica_epoch: -1,
            max_wait_ms: self.config.fetch_max_wait_ms as i32,
            min_bytes: 0,
            max_bytes: self.config.max_batch_size_bytes as i32,
            topic_id: self.config.topic_id,
            partition: self.config.partition,
            current_leader_epoch: self.state.epoch(),
            fetch_offset: self.log.end_offset,
            last_fetched_epoch: self.log.last_fetched_epoch(),
            log_start_offset: -1,
            partition_max_bytes: 0,
            replica_directory_id: self.config.directory_id,
            high_watermark: self.high_watermark.unwrap_or(-1),
        }
    }

    pub(super) fn api_matches_topic(&self, topic_name: &str, partition: i32) -> bool {
        topic_name == self.config.topic_name && partition == self.config.partition
    }
}
