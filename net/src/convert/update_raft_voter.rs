//! UpdateRaftVoter (82), version 0 (flexible). The response's tag 0 `CurrentLeader` holds the
//! leader id and epoch and the leader's host and port (int32 on the wire).

use kafka_protocol::messages::update_raft_voter_request::{
    KRaftVersionFeature, Listener as WireListener,
};
use kafka_protocol::messages::update_raft_voter_response::CurrentLeader;
use kafka_protocol::messages::{
    UpdateRaftVoterRequest as WireRequest, UpdateRaftVoterResponse as WireResponse,
};
use kraft_message::{
    LeaderIdAndEpoch, NodeEndpoint, UpdateRaftVoterRequest, UpdateRaftVoterResponse,
};

use super::common::*;

listener_conversions!(WireListener);

pub fn request_from_kafka(m: WireRequest, _v: i16) -> UpdateRaftVoterRequest {
    UpdateRaftVoterRequest {
        cluster_id: opt_from_kafka(&m.cluster_id),
        current_leader_epoch: m.current_leader_epoch,
        voter_id: m.voter_id,
        voter_directory_id: uuid_from_kafka(m.voter_directory_id),
        listeners: listeners_from_kafka(&m.listeners),
        kraft_version_min: m.k_raft_version_feature.min_supported_version,
        kraft_version_max: m.k_raft_version_feature.max_supported_version,
    }
}

pub fn request_to_kafka(m: &UpdateRaftVoterRequest, _v: i16) -> WireRequest {
    let mut out = WireRequest::default();
    out.cluster_id = opt_to_kafka(&m.cluster_id);
    out.current_leader_epoch = m.current_leader_epoch;
    out.voter_id = m.voter_id;
    out.voter_directory_id = uuid_to_kafka(m.voter_directory_id);
    out.listeners = listeners_to_kafka(&m.listeners);
    let mut feature = KRaftVersionFeature::default();
    feature.min_supported_version = m.kraft_version_min;
    feature.max_supported_version = m.kraft_version_max;
    out.k_raft_version_feature = feature;
    out
}

pub fn response_to_kafka(m: &UpdateRaftVoterResponse, _v: i16) -> WireResponse {
    let mut leader = CurrentLeader::default();
    leader.leader_id = m.current_leader.leader_id.into();
    leader.leader_epoch = m.current_leader.leader_epoch;
    if let Some(endpoint) = &m.node_endpoint {
        leader.host = str_to_kafka(&endpoint.host);
        leader.port = i32::from(endpoint.port);
    }
    let mut out = WireResponse::default();
    out.error_code = m.error_code.code();
    out.current_leader = leader;
    out
}

/// An empty host is Kafka's "no endpoint" (the schema default); a port outside 0..=65535 is a
/// malformed answer.
pub fn response_from_kafka(
    m: WireResponse,
    _v: i16,
) -> Result<UpdateRaftVoterResponse, ShapeError> {
    let leader = &m.current_leader;
    let node_endpoint = if leader.host.is_empty() {
        None
    } else {
        let port = u16::try_from(leader.port).map_err(|_| {
            ShapeError::new(format!("current leader port {} out of range", leader.port))
        })?;
        Some(NodeEndpoint {
            node_id: leader.leader_id.0,
            host: string_from_kafka(&leader.host),
            port,
        })
    };
    Ok(UpdateRaftVoterResponse {
        error_code: code(m.error_code),
        current_leader: LeaderIdAndEpoch {
            leader_id: leader.leader_id.0,
            leader_epoch: leader.leader_epoch,
        },
        node_endpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(host: &str, port: i32) -> WireResponse {
        let mut leader = CurrentLeader::default();
        leader.leader_id = 3.into();
        leader.leader_epoch = 9;
        leader.host = str_to_kafka(host);
        leader.port = port;
        let mut out = WireResponse::default();
        out.current_leader = leader;
        out
    }

    /// Kafka's empty host means "no endpoint"; a port outside u16 is a malformed answer, not a
    /// truncated number.
    #[test]
    fn the_leaders_endpoint_is_read_strictly() {
        let none = response_from_kafka(wire("", 0), 0).unwrap();
        assert_eq!(none.node_endpoint, None);
        assert_eq!(none.current_leader.leader_id, 3);
        let some = response_from_kafka(wire("h", 9093), 0).unwrap();
        assert_eq!(
            some.node_endpoint,
            Some(NodeEndpoint {
                node_id: 3,
                host: "h".into(),
                port: 9093
            })
        );
        for port in [-1, 65_536] {
            assert!(response_from_kafka(wire("h", port), 0).is_err(), "{port}");
        }
    }
}
