//! Round trips of every handled request and response at every handled version, and the
//! zero-copy Fetch encoder checked byte for byte against kafka-protocol's encoder.

use bytes::{Bytes, BytesMut};
use kraft_message::*;
use kraft_net::codec::fetch_response::encode_fetch_response_frame;
use kraft_net::codec::{
    decode_request, decode_response, encode_request_frame, encode_response_frame, KafkaResponse,
    RequestHeader, SUPPORTED_APIS,
};
use kraft_net::convert::{self, Inbound};
use kraft_net::samples;

/// What the core should see after `request` went over the wire at version `v`: fields the
/// version lacks come back as schema defaults.
fn request_at_version(request: &Request, v: i16) -> Request {
    let mut r = request.clone();
    match &mut r {
        Request::Vote(m) => {
            if v < 1 {
                m.voter_id = -1;
                m.candidate_directory_id = Uuid::ZERO;
                m.voter_directory_id = Uuid::ZERO;
            }
            if v < 2 {
                m.pre_vote = false;
            }
        }
        Request::BeginQuorumEpoch(m) => {
            if v < 1 {
                m.voter_id = -1;
                m.voter_directory_id = Uuid::ZERO;
                m.leader_endpoints.clear();
            }
        }
        Request::EndQuorumEpoch(m) => {
            if v < 1 {
                m.leader_endpoints.clear();
            }
        }
        Request::Fetch(m) => {
            if v < 17 {
                m.replica_directory_id = Uuid::ZERO;
            }
            if v < 18 {
                m.high_watermark = i64::MAX;
            }
            if v < 15 {
                m.replica_epoch = -1;
            }
        }
        Request::FetchSnapshot(m) => {
            if v < 1 {
                m.replica_directory_id = Uuid::ZERO;
            }
        }
        Request::DescribeQuorum(_) => {}
        Request::DescribeCluster(m) => {
            if v < 1 {
                m.endpoint_type = EndpointType::BROKER;
            }
            if v < 2 {
                m.include_fenced_brokers = false;
            }
        }
        Request::AddRaftVoter(m) => {
            if v < 1 {
                m.ack_when_committed = true;
            }
        }
        Request::RemoveRaftVoter(_) | Request::UpdateRaftVoter(_) | Request::ApiVersions(_) => {}
    }
    r
}

fn response_at_version(response: &Response, v: i16) -> Response {
    let mut r = response.clone();
    match &mut r {
        Response::Vote(m) if v < 1 => m.node_endpoints.clear(),
        Response::BeginQuorumEpoch(m) if v < 1 => m.node_endpoints.clear(),
        Response::EndQuorumEpoch(m) if v < 1 => m.node_endpoints.clear(),
        Response::Fetch(m) if v < 16 => m.node_endpoints.clear(),
        Response::FetchSnapshot(m) if v < 1 => m.node_endpoints.clear(),
        Response::DescribeQuorum(m) => {
            for replica in m.current_voters.iter_mut().chain(m.observers.iter_mut()) {
                if v < 1 {
                    replica.last_fetch_timestamp = -1;
                    replica.last_caught_up_timestamp = -1;
                }
                if v < 2 {
                    replica.replica_directory_id = Uuid::ZERO;
                }
            }
            if v < 2 {
                m.error_message = None;
                m.partition_error_message = None;
                m.nodes.clear();
            }
        }
        Response::DescribeCluster(m) => {
            if v < 1 {
                m.endpoint_type = EndpointType::BROKER;
                if m.error_code == ErrorCode::MISMATCHED_ENDPOINT_TYPE {
                    m.error_code = ErrorCode::INVALID_REQUEST;
                }
            }
            if v < 2 {
                m.nodes.iter_mut().for_each(|n| n.is_fenced = false);
            }
        }
        Response::ApiVersions(m) if v < 3 => m.kraft_version = None,
        _ => {}
    }
    r
}

#[test]
fn every_raft_request_round_trips_at_every_version() {
    let mut checked = 0;
    let mut expected = 0;
    for request in samples::raft_requests() {
        let api_key = request.kind().api_key();
        let range = SUPPORTED_APIS
            .iter()
            .find(|r| r.api_key == api_key)
            .expect("served");
        expected += (range.max_version - range.min_version + 1) as usize;
        for v in range.min_version..=range.max_version {
            let wire = convert::request_to_kafka(&request, v);
            let header = RequestHeader {
                api_key,
                api_version: v,
                correlation_id: 77,
                client_id: Some("raft-client-1".into()),
            };
            let frame = encode_request_frame(&header, &wire).expect("encodes");
            let decoded = decode_request(frame.freeze().slice(4..)).expect("decodes");
            assert_eq!(decoded.header, header);
            assert_eq!(decoded.body, wire, "api {api_key} v{v}");
            match convert::request_from_kafka(decoded.body, v).expect("shape") {
                Inbound::Raft(back) => {
                    assert_eq!(back, request_at_version(&request, v), "api {api_key} v{v}")
                }
                // The core's outbound ApiVersions: what a server reads is the wire request,
                // carrying our software name and version from v3 on.
                Inbound::ApiVersions(m) => {
                    assert_eq!(request, Request::ApiVersions(ApiVersionsRequest));
                    let (name, version) = if v >= 3 {
                        ("kraft-rs", env!("CARGO_PKG_VERSION"))
                    } else {
                        ("", "")
                    };
                    assert_eq!(m.client_software_name.as_str(), name, "v{v}");
                    assert_eq!(m.client_software_version.as_str(), version, "v{v}");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(
        checked, expected,
        "every version of every sample was checked"
    );
}

#[test]
fn every_handled_wire_request_round_trips() {
    let requests = samples::kafka_requests();
    // Every served api at every served version is present.
    for range in SUPPORTED_APIS {
        for v in range.min_version..=range.max_version {
            assert!(
                requests
                    .iter()
                    .any(|(k, rv, _)| *k == range.api_key && *rv == v),
                "no sample for api {} v{v}",
                range.api_key
            );
        }
    }
    for (api_key, v, body) in requests {
        let header = RequestHeader {
            api_key,
            api_version: v,
            correlation_id: 1,
            client_id: None,
        };
        let frame = encode_request_frame(&header, &body).expect("encodes");
        let decoded = decode_request(frame.freeze().slice(4..)).expect("decodes");
        assert_eq!(decoded.body, body, "api {api_key} v{v}");
    }
}

#[test]
fn every_raft_response_round_trips_at_every_version() {
    for response in samples::raft_responses() {
        let api_key = response.kind().api_key();
        let range = SUPPORTED_APIS
            .iter()
            .find(|r| r.api_key == api_key)
            .expect("served");
        for v in range.min_version..=range.max_version {
            let wire = samples::response_to_kafka(&response, v);
            let frame = encode_response_frame(-3, v, &wire).expect("encodes");
            let (correlation_id, decoded) =
                decode_response(frame.freeze().slice(4..), api_key, v).expect("decodes");
            assert_eq!(correlation_id, -3);
            assert_eq!(decoded, wire, "api {api_key} v{v}");
            let back = convert::response_from_kafka(decoded, v).expect("shape");
            assert_eq!(
                back,
                response_at_version(&response, v),
                "api {api_key} v{v}"
            );
        }
    }
}

#[test]
fn local_responses_round_trip() {
    for v in 0..=4 {
        let body = KafkaResponse::ApiVersions(kraft_net::codec::api_versions_response(0));
        let frame = encode_response_frame(5, v, &body).expect("encodes");
        let (_, decoded) = decode_response(frame.freeze().slice(4..), 18, v).expect("decodes");
        let KafkaResponse::ApiVersions(decoded) = decoded else {
            panic!("not ApiVersions")
        };
        let advertised: Vec<(i16, i16, i16)> = decoded
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect();
        let served: Vec<(i16, i16, i16)> = SUPPORTED_APIS
            .iter()
            .map(|r| (r.api_key, r.min_version, r.max_version))
            .collect();
        assert_eq!(
            advertised, served,
            "ApiVersions v{v} advertises exactly what is served"
        );
    }
}

/// The voter changes reach the core (no more refusal by net), and the server's ApiVersions
/// advertises kraft.version 0..1 as a Kafka 4.x controller does.
#[test]
fn voter_changes_reach_the_core_and_kraft_version_one_is_advertised() {
    let mut reached = 0;
    for (api_key, v, frame) in samples::request_frames()
        .into_iter()
        .filter(|(k, _, _)| (80..=82).contains(k))
    {
        match kraft_net::server::dispatch(frame.freeze().slice(4..)) {
            kraft_net::server::Dispatch::Core { request, .. } => {
                assert_eq!(request.kind().api_key(), api_key, "v{v}");
                reached += 1;
            }
            other => panic!("api {api_key} v{v} dispatched as {other:?}"),
        }
    }
    // AddRaftVoter 0-1 (two samples each), RemoveRaftVoter 0, UpdateRaftVoter 0.
    assert_eq!(reached, 6);
    let advertised = kraft_net::codec::api_versions_response(0);
    let kraft: Vec<(&str, i16, i16)> = advertised
        .supported_features
        .iter()
        .map(|f| (f.name.as_str(), f.min_version, f.max_version))
        .collect();
    assert_eq!(kraft, vec![("kraft.version", 0, 1)]);
}

/// The finalized kraft.version a node reports in ApiVersions v3+: none at level 0 (a Kafka
/// controller leaves it out), the level from 1 on.
#[test]
fn api_versions_reports_the_finalized_kraft_version_from_level_one() {
    let frames: Vec<(i16, BytesMut)> = samples::request_frames()
        .into_iter()
        .filter(|(k, v, _)| *k == 18 && *v >= 3)
        .map(|(_, v, frame)| (v, frame))
        .collect();
    assert!(!frames.is_empty());
    for (v, frame) in frames {
        for level in [0i16, 1] {
            let reply =
                match kraft_net::server::dispatch_with(frame.clone().freeze().slice(4..), level) {
                    kraft_net::server::Dispatch::Reply { frame, .. } => frame,
                    other => panic!("ApiVersions v{v} dispatched as {other:?}"),
                };
            let (_, decoded) = decode_response(reply.freeze().slice(4..), 18, v).expect("decodes");
            let KafkaResponse::ApiVersions(m) = decoded else {
                panic!("not ApiVersions")
            };
            let finalized: Vec<(&str, i16, i16)> = m
                .finalized_features
                .iter()
                .map(|f| (f.name.as_str(), f.min_version_level, f.max_version_level))
                .collect();
            let expected = if level == 0 {
                vec![]
            } else {
                vec![("kraft.version", 1, 1)]
            };
            assert_eq!(finalized, expected, "v{v} level {level}");
        }
    }
}

fn fetch_variants() -> Vec<(FetchResponse, Bytes)> {
    let mut out = Vec::new();
    for records_len in [0usize, 1, 126, 127, 128, 16_383, 16_384, 70_000] {
        let records = Bytes::from(
            (0..records_len)
                .map(|i| (i % 251) as u8)
                .collect::<Vec<_>>(),
        );
        out.push((
            samples::fetch_response(Records::Bytes(records.clone())),
            records,
        ));
    }
    let mut diverging = samples::fetch_response(Records::Empty);
    diverging.diverging_epoch = EpochEndOffset {
        epoch: 4,
        end_offset: 77,
    };
    diverging.current_leader = LeaderIdAndEpoch {
        leader_id: -1,
        leader_epoch: -1,
    };
    out.push((diverging, Bytes::new()));
    let mut snapshot = samples::fetch_response(Records::Empty);
    snapshot.snapshot_id = SnapshotId {
        end_offset: 1000,
        epoch: 3,
    };
    snapshot.node_endpoints.clear();
    snapshot.partition_error_code = ErrorCode::FENCED_LEADER_EPOCH;
    out.push((snapshot, Bytes::new()));
    let mut rejected = samples::fetch_response(Records::Empty);
    rejected.error_code = ErrorCode::INCONSISTENT_CLUSTER_ID;
    out.push((rejected, Bytes::new()));
    let mut endpoints = samples::fetch_response(Records::Empty);
    endpoints.node_endpoints = (0..40)
        .map(|i| NodeEndpoint {
            node_id: i,
            host: "h".repeat(i as usize * 3),
            port: 9000,
        })
        .collect();
    out.push((endpoints, Bytes::new()));
    out
}

#[test]
fn zero_copy_fetch_encoder_matches_kafka_protocol_byte_for_byte() {
    for v in 13..=18 {
        for (response, records) in fetch_variants() {
            let frame =
                encode_fetch_response_frame(11, v, &response, records.len()).expect("encodes");
            let mut ours = BytesMut::new();
            ours.extend_from_slice(&frame.prefix);
            ours.extend_from_slice(&records[..frame.records_len]);
            ours.extend_from_slice(&frame.suffix);
            assert_eq!(ours.len(), frame.wire_len());
            let wire = KafkaResponse::Fetch(convert::fetch::response_to_kafka(
                &response,
                records.clone(),
                v,
            ));
            let expected = encode_response_frame(11, v, &wire).expect("kafka-protocol encodes");
            assert_eq!(
                &ours[..],
                &expected[..],
                "v{v}, {} record bytes, error {:?}",
                records.len(),
                response.error_code
            );
        }
    }
}
