//! Byte-exact golden messages, written out by hand from Kafka's message schemas (not produced by
//! any encoder), checked in both directions.

use bytes::Bytes;
use kraft_message::*;
use kraft_net::codec::fetch_response::encode_fetch_response_frame;
use kraft_net::codec::{
    decode_request, decode_response, encode_request_frame, rejection_frame, RequestHeader,
};
use kraft_net::convert::{self, Inbound};

fn raft_request(frame: &[u8]) -> Request {
    let decoded = decode_request(Bytes::copy_from_slice(&frame[4..])).expect("golden decodes");
    match convert::request_from_kafka(decoded.body, decoded.header.api_version).expect("shape") {
        Inbound::Raft(r) => r,
        Inbound::ApiVersions(other) => panic!("not a raft request: {other:?}"),
    }
}

#[test]
fn vote_request_v0_flexible_with_header_v2() {
    #[rustfmt::skip]
    let golden: &[u8] = &[
        0x00, 0x00, 0x00, 0x2d,             // frame size 45
        // request header v2 (Vote is flexible from v0)
        0x00, 0x34,                         // api key 52 Vote
        0x00, 0x00,                         // api version 0
        0x00, 0x00, 0x00, 0x07,             // correlation id 7
        0x00, 0x01, b'c',                   // client id "c": int16 length even in header v2
        0x00,                               // header tagged fields: none
        // VoteRequest v0
        0x02, b'x',                         // ClusterId compact string "x" (length + 1)
        0x02,                               // Topics: compact array of 1
        0x02, b't',                         //   TopicName "t"
        0x02,                               //   Partitions: compact array of 1
        0x00, 0x00, 0x00, 0x00,             //     PartitionIndex 0
        0x00, 0x00, 0x00, 0x05,             //     CandidateEpoch 5
        0x00, 0x00, 0x00, 0x01,             //     CandidateId 1
        0x00, 0x00, 0x00, 0x04,             //     LastOffsetEpoch 4
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, // LastOffset 10
        0x00,                               //     partition tagged fields
        0x00,                               //   topic tagged fields
        0x00,                               // top-level tagged fields
    ];
    let request = VoteRequest {
        cluster_id: Some("x".into()),
        voter_id: -1,
        topic_name: "t".into(),
        partition: 0,
        candidate_epoch: 5,
        candidate_id: 1,
        candidate_directory_id: Uuid::ZERO,
        voter_directory_id: Uuid::ZERO,
        last_offset_epoch: 4,
        last_offset: 10,
        pre_vote: false,
    };
    let header = RequestHeader {
        api_key: 52,
        api_version: 0,
        correlation_id: 7,
        client_id: Some("c".into()),
    };
    let wire = convert::request_to_kafka(&Request::Vote(request.clone()), 0);
    assert_eq!(&encode_request_frame(&header, &wire).unwrap()[..], golden);
    assert_eq!(raft_request(golden), Request::Vote(request));
}

#[test]
fn begin_quorum_epoch_request_v0_classic_encoding_with_header_v1() {
    #[rustfmt::skip]
    let golden: &[u8] = &[
        0x00, 0x00, 0x00, 0x23,             // frame size 35
        // request header v1 (BeginQuorumEpoch v0 is not flexible)
        0x00, 0x35,                         // api key 53
        0x00, 0x00,                         // api version 0
        0x00, 0x00, 0x00, 0x03,             // correlation id 3
        0xff, 0xff,                         // client id null
        // BeginQuorumEpochRequest v0
        0xff, 0xff,                         // ClusterId null (int16 length -1)
        0x00, 0x00, 0x00, 0x01,             // Topics: int32 count 1
        0x00, 0x01, b't',                   //   TopicName "t" (int16 length)
        0x00, 0x00, 0x00, 0x01,             //   Partitions: int32 count 1
        0x00, 0x00, 0x00, 0x00,             //     PartitionIndex 0
        0x00, 0x00, 0x00, 0x01,             //     LeaderId 1
        0x00, 0x00, 0x00, 0x02,             //     LeaderEpoch 2
    ];
    let request = BeginQuorumEpochRequest {
        cluster_id: None,
        voter_id: -1,
        topic_name: "t".into(),
        partition: 0,
        voter_directory_id: Uuid::ZERO,
        leader_id: 1,
        leader_epoch: 2,
        leader_endpoints: Vec::new(),
    };
    let header = RequestHeader {
        api_key: 53,
        api_version: 0,
        correlation_id: 3,
        client_id: None,
    };
    let wire = convert::request_to_kafka(&Request::BeginQuorumEpoch(request.clone()), 0);
    assert_eq!(&encode_request_frame(&header, &wire).unwrap()[..], golden);
    assert_eq!(raft_request(golden), Request::BeginQuorumEpoch(request));
}

#[test]
fn fetch_response_v13_zero_copy_layout() {
    #[rustfmt::skip]
    let prefix: &[u8] = &[
        0x00, 0x00, 0x00, 0x56,             // frame size 86
        0x00, 0x00, 0x00, 0x01,             // response header v1: correlation id 1
        0x00,                               //   header tagged fields
        0x00, 0x00, 0x00, 0x00,             // ThrottleTimeMs 0
        0x00, 0x00,                         // ErrorCode 0
        0x00, 0x00, 0x00, 0x00,             // SessionId 0
        0x02,                               // Responses: compact array of 1
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // TopicId Uuid(0, 2): high 8 bytes
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, //   low 8 bytes
        0x02,                               //   Partitions: compact array of 1
        0x00, 0x00, 0x00, 0x00,             //     PartitionIndex 0
        0x00, 0x00,                         //     ErrorCode 0
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, // HighWatermark 42
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // LastStableOffset -1
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // LogStartOffset 0
        0x01,                               //     AbortedTransactions: empty compact array
        0xff, 0xff, 0xff, 0xff,             //     PreferredReadReplica -1
        0x04,                               //     Records: compact length 3 + 1
    ];
    let records: &[u8] = b"abc"; //     (the log's bytes, written from its own slice)
    #[rustfmt::skip]
    let suffix: &[u8] = &[
        0x01,                               //     partition tagged fields: 1 field
        0x01, 0x09,                         //       tag 1 CurrentLeader, 9 bytes
        0x00, 0x00, 0x00, 0x01,             //         LeaderId 1
        0x00, 0x00, 0x00, 0x03,             //         LeaderEpoch 3
        0x00,                               //         struct tagged fields
        0x00,                               //   topic tagged fields
        0x00,                               // top-level tagged fields (no NodeEndpoints in v13)
    ];
    let response = FetchResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::NONE,
        topic_id: Uuid::from_parts(0, 2),
        partition: 0,
        partition_error_code: ErrorCode::NONE,
        high_watermark: 42,
        log_start_offset: 0,
        diverging_epoch: EpochEndOffset::NONE,
        current_leader: LeaderIdAndEpoch {
            leader_id: 1,
            leader_epoch: 3,
        },
        snapshot_id: SnapshotId::NONE,
        records: Records::LogRange {
            from_offset: 0,
            max_bytes: 3,
            generation: 0,
        },
        node_endpoints: Vec::new(),
    };
    let frame = encode_fetch_response_frame(1, 13, &response, records.len()).unwrap();
    assert_eq!(&frame.prefix[..], prefix);
    assert_eq!(frame.records_len, 3);
    assert_eq!(&frame.suffix[..], suffix);

    // The client reads the same bytes back, records as a slice of the frame.
    let whole = [prefix, records, suffix].concat();
    let (correlation_id, decoded) =
        decode_response(Bytes::copy_from_slice(&whole[4..]), 1, 13).expect("decodes");
    assert_eq!(correlation_id, 1);
    let kraft_message::Response::Fetch(back) = convert::response_from_kafka(decoded, 13).unwrap()
    else {
        panic!("not a fetch response")
    };
    assert_eq!(back.records, Records::Bytes(Bytes::from_static(b"abc")));
    assert_eq!(back.current_leader, response.current_leader);
    assert_eq!(back.high_watermark, 42);
}

/// Kafka's `ApiVersionsRequest.getErrorResponse` for UNSUPPORTED_VERSION: v0 body, only
/// ApiVersions' own range listed (KIP-511), written in v0 whatever version was asked.
#[test]
fn api_versions_fallback_is_a_v0_response_listing_its_own_range() {
    #[rustfmt::skip]
    let golden: &[u8] = &[
        0x00, 0x00, 0x00, 0x10,             // frame size 16
        0x00, 0x00, 0x00, 0x0b,             // response header v0 (always for ApiVersions): 11
        0x00, 0x23,                         // ErrorCode 35 UNSUPPORTED_VERSION
        0x00, 0x00, 0x00, 0x01,             // ApiKeys: int32 count 1 (v0 is not flexible)
        0x00, 0x12, 0x00, 0x00, 0x00, 0x04, //   ApiVersions 0-4
    ];
    assert_eq!(&rejection_frame(18, 9, 11, 35)[..], golden);
}

#[test]
fn end_quorum_epoch_response_v1_with_node_endpoints_tag() {
    #[rustfmt::skip]
    let golden: &[u8] = &[
        0x00, 0x00, 0x00, 0x04,             // response header v1: correlation id 4
        0x00,                               //   header tagged fields
        0x00, 0x00,                         // ErrorCode 0
        0x02,                               // Topics: compact array of 1
        0x02, b't',                         //   TopicName "t"
        0x02,                               //   Partitions: compact array of 1
        0x00, 0x00, 0x00, 0x00,             //     PartitionIndex 0
        0x00, 0x00,                         //     ErrorCode 0
        0x00, 0x00, 0x00, 0x02,             //     LeaderId 2
        0x00, 0x00, 0x00, 0x09,             //     LeaderEpoch 9
        0x00,                               //     partition tagged fields
        0x00,                               //   topic tagged fields
        0x01,                               // top-level tagged fields: 1 field
        0x00, 0x0a,                         //   tag 0 NodeEndpoints, 10 bytes
        0x02,                               //   compact array of 1
        0x00, 0x00, 0x00, 0x02,             //     NodeId 2
        0x02, b'h',                         //     Host "h"
        0x23, 0x85,                         //     Port 9093 (uint16)
        0x00,                               //     struct tagged fields
    ];
    let (correlation_id, decoded) =
        decode_response(Bytes::from_static(golden), 54, 1).expect("decodes");
    assert_eq!(correlation_id, 4);
    let response = convert::response_from_kafka(decoded, 1).expect("shape");
    assert_eq!(
        response,
        Response::EndQuorumEpoch(EndQuorumEpochResponse {
            error_code: ErrorCode::NONE,
            topic_name: "t".into(),
            partition: 0,
            partition_error_code: ErrorCode::NONE,
            leader_id: 2,
            leader_epoch: 9,
            node_endpoints: vec![NodeEndpoint {
                node_id: 2,
                host: "h".into(),
                port: 9093,
            }],
        })
    );
}

/// What Kafka's admin client sends a controller first (KIP-919): DescribeCluster v1 with
/// EndpointType 2, not asking for authorized operations.
#[test]
fn describe_cluster_request_v1_for_controllers() {
    #[rustfmt::skip]
    let golden: &[u8] = &[
        0x00, 0x00, 0x00, 0x0f,             // frame size 15
        // request header v2 (DescribeCluster is flexible from v0)
        0x00, 0x3c,                         // api key 60 DescribeCluster
        0x00, 0x01,                         // api version 1
        0x00, 0x00, 0x00, 0x05,             // correlation id 5
        0x00, 0x01, b'a',                   // client id "a"
        0x00,                               // header tagged fields: none
        // DescribeClusterRequest v1
        0x00,                               // IncludeClusterAuthorizedOperations false
        0x02,                               // EndpointType 2 (controllers)
        0x00,                               // tagged fields
    ];
    let request = DescribeClusterRequest {
        include_cluster_authorized_operations: false,
        endpoint_type: EndpointType::CONTROLLER,
        include_fenced_brokers: false,
    };
    let header = RequestHeader {
        api_key: 60,
        api_version: 1,
        correlation_id: 5,
        client_id: Some("a".into()),
    };
    let wire = convert::request_to_kafka(&Request::DescribeCluster(request.clone()), 1);
    assert_eq!(&encode_request_frame(&header, &wire).unwrap()[..], golden);
    assert_eq!(raft_request(golden), Request::DescribeCluster(request));
}

/// A controller's answer: the voters as `Brokers`, the leader as `ControllerId`, EndpointType 2
/// (the admin client rejects any other value).
#[test]
fn describe_cluster_response_v1_lists_controllers() {
    #[rustfmt::skip]
    let golden: &[u8] = &[
        0x00, 0x00, 0x00, 0x3a,             // frame size 58
        0x00, 0x00, 0x00, 0x05,             // response header v1: correlation id 5
        0x00,                               //   header tagged fields
        0x00, 0x00, 0x00, 0x00,             // ThrottleTimeMs 0
        0x00, 0x00,                         // ErrorCode 0
        0x00,                               // ErrorMessage null
        0x02,                               // EndpointType 2 (v1+)
        0x17,                               // ClusterId: compact string of 22
        b'A', b'A', b'A', b'A', b'A', b'A', b'A', b'A', b'A', b'A', b'A',
        b'A', b'A', b'A', b'A', b'A', b'A', b'A', b'A', b'A', b'A', b'A',
        0x00, 0x00, 0x00, 0x01,             // ControllerId 1
        0x02,                               // Brokers: compact array of 1
        0x00, 0x00, 0x00, 0x01,             //   BrokerId 1
        0x02, b'h',                         //   Host "h"
        0x00, 0x00, 0x23, 0x85,             //   Port 9093 (int32)
        0x00,                               //   Rack null
        0x00,                               //   broker tagged fields
        0x80, 0x00, 0x00, 0x00,             // ClusterAuthorizedOperations: not requested
        0x00,                               // tagged fields
    ];
    let response = DescribeClusterResponse {
        error_code: ErrorCode::NONE,
        error_message: None,
        endpoint_type: EndpointType::CONTROLLER,
        cluster_id: "AAAAAAAAAAAAAAAAAAAAAA".into(),
        controller_id: 1,
        nodes: vec![ClusterNode {
            node_id: 1,
            host: "h".into(),
            port: 9093,
            rack: None,
            is_fenced: false,
        }],
        cluster_authorized_operations: i32::MIN,
    };
    let wire = convert::describe_cluster::response_to_kafka(&response, 1);
    let frame = kraft_net::codec::encode_response_frame(
        5,
        1,
        &kraft_net::codec::KafkaResponse::DescribeCluster(wire),
    )
    .unwrap();
    assert_eq!(&frame[..], golden);
    let (correlation_id, decoded) =
        decode_response(Bytes::copy_from_slice(&golden[4..]), 60, 1).expect("decodes");
    assert_eq!(correlation_id, 5);
    assert_eq!(
        convert::response_from_kafka(decoded, 1).expect("shape"),
        Response::DescribeCluster(response)
    );
}
