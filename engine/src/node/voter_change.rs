//! AddRaftVoter, RemoveRaftVoter and UpdateRaftVoter on a node whose voter set is static
//! (kraft.version 0): refused with UNSUPPORTED_VERSION and the text Kafka's handlers give
//! (`AddVoterHandler`, `RemoveVoterHandler`, `UpdateVoterHandler`) when the kraft.version
//! feature does not support reconfiguration.

use super::RaftNode;
use crate::message::{
    AddRaftVoterResponse, ApiVersionsResponse, ErrorCode, LeaderIdAndEpoch,
    RemoveRaftVoterResponse, Request, Response, UpdateRaftVoterResponse,
};

/// The kraft.version this node runs at: static voters only.
const KRAFT_VERSION_STATIC: i16 = 0;

impl RaftNode {
    /// The answer to a voter-change request (or an inbound ApiVersions, which the network layer
    /// normally answers itself), or `None` for any other request.
    pub(super) fn refuse_voter_change(&self, request: &Request) -> Option<Response> {
        let unsupported = ErrorCode::UNSUPPORTED_VERSION;
        Some(match request {
            Request::AddRaftVoter(_) => Response::AddRaftVoter(AddRaftVoterResponse {
                error_code: unsupported,
                error_message: Some(format!(
                    "Cluster doesn't support adding voter because the kraft.version feature is \
                     {KRAFT_VERSION_STATIC}"
                )),
            }),
            Request::RemoveRaftVoter(_) => Response::RemoveRaftVoter(RemoveRaftVoterResponse {
                error_code: unsupported,
                error_message: Some(format!(
                    "Cluster doesn't support removing voter because the kraft.version feature \
                     is {KRAFT_VERSION_STATIC}"
                )),
            }),
            Request::UpdateRaftVoter(_) => {
                let leader = self.leader_and_epoch();
                Response::UpdateRaftVoter(UpdateRaftVoterResponse {
                    error_code: unsupported,
                    current_leader: LeaderIdAndEpoch {
                        leader_id: leader.leader_id.unwrap_or(-1),
                        leader_epoch: leader.epoch,
                    },
                    node_endpoint: None,
                })
            }
            Request::ApiVersions(_) => Response::ApiVersions(ApiVersionsResponse {
                error_code: ErrorCode::INVALID_REQUEST,
                kraft_version: None,
            }),
            _ => return None,
        })
    }
}
