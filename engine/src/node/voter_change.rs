//! AddRaftVoter (80), RemoveRaftVoter (81) and UpdateRaftVoter (82) on the leader, as Kafka's
//! `KafkaRaftClient` checks them and its `AddVoterHandler`, `RemoveVoterHandler` and
//! `UpdateVoterHandler` run them: one uncommitted voter-set change at a time, every refusal with
//! Kafka's error code and message. The change in progress (answered when done or at its
//! deadline) lives in `voter_change_progress.rs`.

use super::RaftNode;
use crate::io::PeerAddress;
use crate::message::{
    AddRaftVoterRequest, AddRaftVoterResponse, ApiVersionsRequest, ErrorCode, LeaderIdAndEpoch,
    NodeEndpoint, RemoveRaftVoterRequest, RemoveRaftVoterResponse, ReplicaKey, Request, Response,
    UpdateRaftVoterRequest, UpdateRaftVoterResponse,
};
use crate::state::{PendingVoterChange, QuorumState, VoterOp};
use crate::voters::java_text::{endpoints, optional_offset, replica_key, replica_keys};
use crate::voters::VoterNode;

/// A refusal: error code and (where Kafka gives one) message.
type Refusal = (ErrorCode, Option<String>);

impl RaftNode {
    pub(super) fn handle_add_raft_voter_request(
        &mut self,
        request_id: u64,
        r: AddRaftVoterRequest,
    ) {
        if let Err((error_code, error_message)) = self.start_add_voter(request_id, r) {
            let response = AddRaftVoterResponse {
                error_code,
                error_message,
            };
            self.respond(request_id, Response::AddRaftVoter(response));
        }
    }

    pub(super) fn handle_remove_raft_voter_request(
        &mut self,
        request_id: u64,
        r: RemoveRaftVoterRequest,
    ) {
        if let Err((error_code, error_message)) = self.start_remove_voter(request_id, r) {
            let response = RemoveRaftVoterResponse {
                error_code,
                error_message,
            };
            self.respond(request_id, Response::RemoveRaftVoter(response));
        }
    }

    pub(super) fn handle_update_raft_voter_request(
        &mut self,
        r: UpdateRaftVoterRequest,
    ) -> UpdateRaftVoterResponse {
        let error_code = match self.update_voter(r) {
            Ok(()) => ErrorCode::NONE,
            Err(code) => code,
        };
        let leader = self.leader_and_epoch();
        let node_endpoint = leader.leader_id.and_then(|id| {
            let e = if id == self.config.node_id {
                self.local_leader_endpoints()
                    .into_iter()
                    .find(|l| l.name == self.config.listener_name)
            } else {
                self.voter_endpoint(id)
            }?;
            Some(NodeEndpoint {
                node_id: id,
                host: e.host,
                port: e.port,
            })
        });
        UpdateRaftVoterResponse {
            error_code,
            current_leader: LeaderIdAndEpoch {
                leader_id: leader.leader_id.unwrap_or(-1),
                leader_epoch: leader.epoch,
            },
            node_endpoint,
        }
    }

    /// The checks every request of the three makes first (KafkaRaftClient): cluster id, then
    /// leadership at `epoch`.
    fn check_voter_request(&self, cluster_id: &Option<String>, epoch: i32) -> Result<(), Refusal> {
        if !self.cluster_id_matches(cluster_id) {
            let message = format!(
                "The given id \"{}\" doesn't match the cluster id \"{}\"",
                cluster_id.as_deref().unwrap_or("null"),
                self.config.cluster_id
            );
            return Err((ErrorCode::INCONSISTENT_CLUSTER_ID, Some(message)));
        }
        if let Some(error) = self.validate_leader_only_request(epoch) {
            return Err((error, None));
        }
        Ok(())
    }

    /// The handlers' shared checks, in Kafka's order: no change pending, the high watermark
    /// known (the leader committed its epoch's first batch), kraft.version 1, and the latest
    /// voter set committed. `verb` ("adding", "removing") goes into Kafka's message.
    fn check_voter_change_allowed(&mut self, verb: &str) -> Result<(), Refusal> {
        self.expire_voter_change();
        let QuorumState::Leader(l) = &self.state else {
            unreachable!("checked by validate_leader_only_request");
        };
        if l.voter_change.is_some() && !planted!(VoterChangeWhileUncommitted) {
            let message = "Request timed out waiting for leader to handle previous voter change \
                           request";
            return Err((ErrorCode::REQUEST_TIMED_OUT, Some(message.to_string())));
        }
        let Some(hw) = l.high_watermark else {
            let message = "Request timed out waiting for leader to establish HWM and fence \
                           previous voter changes";
            return Err((ErrorCode::REQUEST_TIMED_OUT, Some(message.to_string())));
        };
        let kraft_version = self.kraft_version();
        if kraft_version < 1 {
            let message = format!(
                "Cluster doesn't support {verb} voter because the kraft.version feature is \
                 {kraft_version}"
            );
            return Err((ErrorCode::UNSUPPORTED_VERSION, Some(message)));
        }
        let entry = self.history.latest_offset();
        if entry.is_none_or(|offset| offset >= hw) && !planted!(VoterChangeWhileUncommitted) {
            let message = format!(
                "Request timed out waiting for voters to commit the latest voter change at {} \
                 with HWM {hw}",
                optional_offset(entry)
            );
            return Err((ErrorCode::REQUEST_TIMED_OUT, Some(message)));
        }
        Ok(())
    }

    /// Kafka's `handleAddVoterRequest`: checks, then ApiVersions to the new voter; the rest
    /// follows its answer (`handle_api_versions_response`).
    fn start_add_voter(&mut self, request_id: u64, r: AddRaftVoterRequest) -> Result<(), Refusal> {
        self.check_voter_request(&r.cluster_id, self.state.epoch())?;
        let key = ReplicaKey {
            id: r.voter_id,
            directory_id: r.voter_directory_id,
        };
        if key.id < 0 || key.directory_id.is_zero() {
            let message = "Add voter request didn't include a valid voter".to_string();
            return Err((ErrorCode::INVALID_REQUEST, Some(message)));
        }
        let listener = self.config.listener_name.clone();
        let Some(endpoint) = r.listeners.iter().find(|l| l.name == listener).cloned() else {
            let message = format!(
                "Add voter request didn't include the endpoint ({}) for the default listener {}",
                endpoints(&r.listeners),
                listener
            );
            return Err((ErrorCode::INVALID_REQUEST, Some(message)));
        };
        self.check_voter_change_allowed("adding")?;
        let voters = self.voter_set();
        if voters.contains_id(key.id) {
            let message = format!(
                "The voter id for {} is already part of the set of voters {}.",
                replica_key(key),
                replica_keys(voters.keys())
            );
            return Err((ErrorCode::DUPLICATE_VOTER, Some(message)));
        }
        if key.id == self.config.node_id || !self.connections.is_ready(key.id, self.now_ms) {
            let message = format!(
                "New voter {} is not ready to receive requests",
                replica_key(key)
            );
            return Err((ErrorCode::REQUEST_TIMED_OUT, Some(message)));
        }
        self.pending_voter_address = Some(PeerAddress {
            id: key.id,
            host: endpoint.host,
            port: endpoint.port,
        });
        self.update_peers();
        self.send(key.id, Request::ApiVersions(ApiVersionsRequest));
        let timeout_ms = u64::try_from(r.timeout_ms)
            .ok()
            .filter(|&t| t > 0)
            .unwrap_or(self.config.request_timeout_ms);
        let deadline_ms = self.now_ms.saturating_add(timeout_ms);
        let voter = VoterNode {
            key,
            listeners: r.listeners,
            kraft_version_min: 0,
            kraft_version_max: 0,
        };
        self.set_voter_change(PendingVoterChange {
            op: VoterOp::Add {
                voter,
                ack_when_committed: r.ack_when_committed,
            },
            request_id: Some(request_id),
            last_offset: None,
            deadline_ms,
        });
        Ok(())
    }

    /// Kafka's `handleRemoveVoterRequest`: the new voter set is appended at once; the answer
    /// waits for its commit.
    fn start_remove_voter(
        &mut self,
        request_id: u64,
        r: RemoveRaftVoterRequest,
    ) -> Result<(), Refusal> {
        self.check_voter_request(&r.cluster_id, self.state.epoch())?;
        let key = ReplicaKey {
            id: r.voter_id,
            directory_id: r.voter_directory_id,
        };
        if key.id < 0 || key.directory_id.is_zero() {
            let message = "Remove voter request didn't include a valid voter".to_string();
            return Err((ErrorCode::INVALID_REQUEST, Some(message)));
        }
        self.check_voter_change_allowed("removing")?;
        let voters = self.voter_set();
        let Some(new_voters) = voters.remove_voter(key) else {
            let message = format!(
                "Cannot remove voter {} from the set of voters {}",
                replica_key(key),
                replica_keys(voters.keys())
            );
            return Err((ErrorCode::VOTER_NOT_FOUND, Some(message)));
        };
        let last_offset = self.append_voter_set(new_voters);
        let deadline_ms = self.now_ms.saturating_add(self.config.request_timeout_ms);
        self.set_voter_change(PendingVoterChange {
            op: VoterOp::Remove,
            request_id: Some(request_id),
            last_offset: Some(last_offset),
            deadline_ms,
        });
        Ok(())
    }

    /// Kafka's `handleUpdateVoterRequest`: a voter's new endpoints or supported versions are
    /// appended and answered at once (the change still counts as the uncommitted one).
    fn update_voter(&mut self, r: UpdateRaftVoterRequest) -> Result<(), ErrorCode> {
        self.check_voter_request(&r.cluster_id, r.current_leader_epoch)
            .map_err(|(code, _)| code)?;
        let key = ReplicaKey {
            id: r.voter_id,
            directory_id: r.voter_directory_id,
        };
        let listener = &self.config.listener_name;
        let has_listener = r.listeners.iter().any(|l| l.name == *listener);
        let (min, max) = (r.kraft_version_min, r.kraft_version_max);
        if key.id < 0 || key.directory_id.is_zero() || !has_listener || min < 0 || max < min {
            return Err(ErrorCode::INVALID_REQUEST);
        }
        let kraft_version = self.kraft_version();
        if kraft_version < 1 {
            return self.update_static_voter(key, min, max);
        }
        // The handler's checks carry no message in UpdateRaftVoter's response.
        self.check_voter_change_allowed("updating")
            .map_err(|(code, _)| code)?;
        if !(min <= kraft_version && max >= kraft_version) {
            return Err(ErrorCode::INVALID_REQUEST);
        }
        let node = VoterNode {
            key,
            listeners: r.listeners,
            kraft_version_min: min,
            kraft_version_max: max,
        };
        let Some(new_voters) = self.voter_set().update_voter(node) else {
            return Err(ErrorCode::VOTER_NOT_FOUND);
        };
        if &new_voters != self.voter_set() {
            self.append_voter_set(new_voters);
        }
        Ok(())
    }

    /// Kafka 4.4 at kraft.version 0 (its voters send one UpdateRaftVoter per leader): the
    /// leader keeps the update in memory for a later kraft.version upgrade and answers NONE, or
    /// REQUEST_TIMED_OUT before it has a high watermark. This node never upgrades kraft.version,
    /// so nothing is kept; the answer is Kafka's.
    fn update_static_voter(
        &mut self,
        key: ReplicaKey,
        min: i16,
        max: i16,
    ) -> Result<(), ErrorCode> {
        let QuorumState::Leader(l) = &self.state else {
            unreachable!("checked by validate_leader_only_request");
        };
        if l.high_watermark.is_none() {
            return Err(ErrorCode::REQUEST_TIMED_OUT);
        }
        if !(min <= 0 && max >= 0) {
            return Err(ErrorCode::INVALID_REQUEST);
        }
        if !self.voter_set().contains(key) {
            return Err(ErrorCode::VOTER_NOT_FOUND);
        }
        Ok(())
    }

    fn set_voter_change(&mut self, change: PendingVoterChange) {
        if let QuorumState::Leader(l) = &mut self.state {
            debug_assert!(l.voter_change.is_none(), "one voter change at a time");
            l.voter_change = Some(change);
        }
    }
}
