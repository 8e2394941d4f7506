//! The leader's voter-set change in progress: the new voter's ApiVersions answer, the append
//! of the new Voters record (in force at once, KIP-853), the answer when it commits (or at
//! once for an AddRaftVoter with AckWhenCommitted=false), REQUEST_TIMED_OUT at the deadline,
//! and the resignation of a leader that removed itself once that change commits.

use kraft_records::{append_kraft_control_records, BatchBuilder};

use super::RaftNode;
use crate::io::RequestError;
use crate::message::{
    AddRaftVoterResponse, ApiVersionsResponse, ErrorCode, RemoveRaftVoterResponse, Response,
};
use crate::state::{PendingVoterChange, QuorumState, VoterOp};
use crate::voters::java_text::replica_key;
use crate::voters::VoterSet;

/// Kafka's `isReplicaCaughtUp` window: the replica fetched within the last hour.
const CAUGHT_UP_FETCH_WINDOW_MS: u64 = 3_600_000;

impl RaftNode {
    /// Appends `voters` as a Voters control batch after the leader's pending records (Kafka's
    /// `appendVotersRecord`) and puts it in force; returns its offset.
    pub(super) fn append_voter_set(&mut self, voters: VoterSet) -> i64 {
        let record = voters.to_record();
        let now = self.now_ms;
        let QuorumState::Leader(l) = &mut self.state else {
            unreachable!("only a leader appends a voter set");
        };
        let offset = l
            .accumulator
            .append_control(now, |base_offset, epoch, timestamp_ms| {
                let mut buf = Vec::with_capacity(256);
                let mut builder = BatchBuilder::control(&mut buf, base_offset, epoch, timestamp_ms);
                append_kraft_control_records(&mut builder, None, Some(&record));
                builder.finish();
                (buf, 1)
            });
        self.drain_accumulator();
        self.record_own_voter_set(offset, &voters);
        offset
    }

    /// Kafka's `handleApiVersionsResponse` for the AddRaftVoter in progress.
    pub(super) fn handle_api_versions_response(
        &mut self,
        from: i32,
        r: ApiVersionsResponse,
    ) -> bool {
        let Some((voter, ack_when_committed)) = self.add_awaiting_api_versions(from) else {
            return true; // not expected (Kafka logs and ignores it)
        };
        if !r.error_code.is_none() {
            self.api_versions_failed(r.error_code);
            return false;
        }
        let kraft_version = self.kraft_version();
        let supported = r
            .kraft_version
            .filter(|&(min, max)| min <= kraft_version && max >= kraft_version);
        let Some((min, max)) = supported else {
            // Kafka's text, its unbalanced parenthesis included.
            let range = r
                .kraft_version
                .map_or("(min: 0, max: 0)".to_string(), |(min, max)| {
                    format!("(min: {min}, max: {max}")
                });
            let message = format!(
                "Aborted add voter operation for {} since the kraft.version range {range} \
                 doesn't support the finalized version {kraft_version}",
                replica_key(voter.key)
            );
            self.finish_voter_change(ErrorCode::INVALID_REQUEST, Some(message));
            return true;
        };
        if !self.is_replica_caught_up(voter.key) {
            let message = format!(
                "Aborted add voter operation for {} since it is lagging behind",
                replica_key(voter.key)
            );
            self.finish_voter_change(ErrorCode::REQUEST_TIMED_OUT, Some(message));
            return true;
        }
        let node = crate::voters::VoterNode {
            kraft_version_min: min,
            kraft_version_max: max,
            ..voter
        };
        let Some(new_voters) = self.voter_set().add_voter(node) else {
            unreachable!("one change at a time: the id was checked absent when the add started");
        };
        let offset = self.append_voter_set(new_voters);
        let mut answer_now = None;
        if let Some(change) = self.voter_change_mut() {
            change.last_offset = Some(offset);
            if !ack_when_committed {
                answer_now = change.request_id.take();
            }
        }
        if let Some(request_id) = answer_now {
            self.respond(request_id, add_response(ErrorCode::NONE, None));
        }
        true
    }

    /// The ApiVersions request to the would-be voter failed in the network (Kafka turns that
    /// into an error response): the add is aborted.
    pub(super) fn api_versions_request_failed(&mut self, to: i32, error: RequestError) {
        if self.add_awaiting_api_versions(to).is_none() {
            return;
        }
        let code = match error {
            RequestError::Timeout => ErrorCode::REQUEST_TIMED_OUT,
            RequestError::Disconnected => ErrorCode::BROKER_NOT_AVAILABLE,
            RequestError::UnsupportedVersion => ErrorCode::UNSUPPORTED_VERSION,
        };
        self.api_versions_failed(code);
    }

    fn api_versions_failed(&mut self, error: ErrorCode) {
        let name = error
            .name()
            .map_or(format!("{}", error.code()), str::to_string);
        let message =
            format!("Aborted add voter operation for since API_VERSIONS returned an error {name}");
        self.finish_voter_change(ErrorCode::REQUEST_TIMED_OUT, Some(message));
    }

    /// The AddRaftVoter in progress waiting for `from`'s ApiVersions: its voter and ack mode.
    fn add_awaiting_api_versions(&self, from: i32) -> Option<(crate::voters::VoterNode, bool)> {
        let QuorumState::Leader(l) = &self.state else {
            return None;
        };
        match &l.voter_change {
            Some(PendingVoterChange {
                op:
                    VoterOp::Add {
                        voter,
                        ack_when_committed,
                    },
                last_offset: None,
                ..
            }) if voter.key.id == from => Some((voter.clone(), *ack_when_committed)),
            _ => None,
        }
    }

    /// Kafka's `isReplicaCaughtUp`: an observer with this replica key that has been caught up
    /// at some point and fetched within the last hour.
    fn is_replica_caught_up(&self, key: crate::message::ReplicaKey) -> bool {
        let QuorumState::Leader(l) = &self.state else {
            return false;
        };
        let since = self.now_ms.saturating_sub(CAUGHT_UP_FETCH_WINDOW_MS);
        l.observers.get(&key.id).is_some_and(|p| {
            p.directory_id == key.directory_id
                && p.last_caught_up_ms.is_some()
                && p.last_fetch_ms.is_some_and(|t| t > since || since == 0)
        })
    }

    /// The high watermark moved: a change whose record it passed is done (Kafka's
    /// `highWatermarkUpdated`); a leader not in the committed voter set resigns.
    pub(super) fn voter_change_on_high_watermark(&mut self, hw: i64) {
        let committed = self
            .voter_change_mut()
            .is_some_and(|c| c.last_offset.is_some_and(|o| hw > o));
        if committed {
            self.finish_voter_change(ErrorCode::NONE, None);
        }
        // Not in the committed voter set: it removed itself (or was elected while its removal
        // was uncommitted, see `may_run_for_leader`).
        let latest_committed = self.history.latest_offset().is_some_and(|o| hw > o);
        if !self.is_voter() && latest_committed {
            if let QuorumState::Leader(l) = &mut self.state {
                l.resign_requested = true;
            }
        }
    }

    /// REQUEST_TIMED_OUT (no message, as Kafka's `maybeExpirePendingOperation`) once the
    /// change in progress passed its deadline.
    pub(super) fn expire_voter_change(&mut self) {
        let now = self.now_ms;
        if self
            .voter_change_mut()
            .is_some_and(|c| now >= c.deadline_ms)
        {
            self.finish_voter_change(ErrorCode::REQUEST_TIMED_OUT, None);
        }
    }

    pub(super) fn voter_change_deadline_ms(&self) -> Option<u64> {
        match &self.state {
            QuorumState::Leader(l) => l.voter_change.as_ref().map(|c| c.deadline_ms),
            _ => None,
        }
    }

    /// Ends the change in progress, answering its request (if not answered yet) with `error`.
    pub(super) fn finish_voter_change(&mut self, error: ErrorCode, message: Option<String>) {
        let change = match &mut self.state {
            QuorumState::Leader(l) => l.voter_change.take(),
            _ => None,
        };
        let Some(change) = change else {
            return;
        };
        if self.pending_voter_address.take().is_some() {
            self.update_peers();
        }
        answer_voter_change(self, change, error, message);
    }

    fn voter_change_mut(&mut self) -> Option<&mut PendingVoterChange> {
        match &mut self.state {
            QuorumState::Leader(l) => l.voter_change.as_mut(),
            _ => None,
        }
    }
}

/// Answers `change`'s request, if it still has one.
pub(super) fn answer_voter_change(
    node: &mut RaftNode,
    change: PendingVoterChange,
    error: ErrorCode,
    message: Option<String>,
) {
    let Some(request_id) = change.request_id else {
        return;
    };
    let response = match change.op {
        VoterOp::Add { .. } => add_response(error, message),
        VoterOp::Remove => Response::RemoveRaftVoter(RemoveRaftVoterResponse {
            error_code: error,
            error_message: message,
        }),
    };
    node.respond(request_id, response);
}

fn add_response(error_code: ErrorCode, error_message: Option<String>) -> Response {
    Response::AddRaftVoter(AddRaftVoterResponse {
        error_code,
        error_message,
    })
}
