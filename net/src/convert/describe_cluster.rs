//! DescribeCluster (60), versions 0-2 (flexible). v1 adds `EndpointType` (KIP-919: 1 = brokers,
//! 2 = controllers) and the two endpoint-type error codes; v2 adds `IncludeFencedBrokers` and
//! each node's `IsFenced` (KIP-1073).

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{
    DescribeClusterRequest as WireRequest, DescribeClusterResponse as WireResponse,
};
use kraft_message::{
    ClusterNode, DescribeClusterRequest, DescribeClusterResponse, EndpointType, ErrorCode,
};

use super::common::*;

pub fn request_from_kafka(m: WireRequest, v: i16) -> DescribeClusterRequest {
    DescribeClusterRequest {
        include_cluster_authorized_operations: m.include_cluster_authorized_operations,
        // kafka-protocol reads the schema default (brokers) for v0, which has no field.
        endpoint_type: EndpointType(m.endpoint_type),
        include_fenced_brokers: v >= 2 && m.include_fenced_brokers,
    }
}

pub fn request_to_kafka(m: &DescribeClusterRequest, v: i16) -> WireRequest {
    let mut out = WireRequest::default();
    out.include_cluster_authorized_operations = m.include_cluster_authorized_operations;
    if v >= 1 {
        out.endpoint_type = m.endpoint_type.0;
    }
    if v >= 2 {
        out.include_fenced_brokers = m.include_fenced_brokers;
    }
    out
}

/// v0 cannot carry the endpoint-type errors; Kafka answers INVALID_REQUEST there instead.
fn wire_error_code(code: ErrorCode, v: i16) -> i16 {
    let endpoint_error =
        code == ErrorCode::MISMATCHED_ENDPOINT_TYPE || code == ErrorCode::UNSUPPORTED_ENDPOINT_TYPE;
    if v == 0 && endpoint_error {
        ErrorCode::INVALID_REQUEST.code()
    } else {
        code.code()
    }
}

pub fn response_to_kafka(m: &DescribeClusterResponse, v: i16) -> WireResponse {
    let mut out = WireResponse::default();
    out.error_code = wire_error_code(m.error_code, v);
    out.error_message = opt_to_kafka(&m.error_message);
    if v >= 1 {
        out.endpoint_type = m.endpoint_type.0;
    }
    out.cluster_id = str_to_kafka(&m.cluster_id);
    out.controller_id = m.controller_id.into();
    out.brokers = m
        .nodes
        .iter()
        .map(|n| {
            let mut b = DescribeClusterBroker::default();
            b.broker_id = n.node_id.into();
            b.host = str_to_kafka(&n.host);
            b.port = n.port;
            b.rack = opt_to_kafka(&n.rack);
            if v >= 2 {
                b.is_fenced = n.is_fenced;
            }
            b
        })
        .collect();
    out.cluster_authorized_operations = m.cluster_authorized_operations;
    out
}

pub fn response_from_kafka(m: WireResponse, v: i16) -> DescribeClusterResponse {
    DescribeClusterResponse {
        error_code: code(m.error_code),
        error_message: opt_from_kafka(&m.error_message),
        endpoint_type: EndpointType(m.endpoint_type),
        cluster_id: string_from_kafka(&m.cluster_id),
        controller_id: m.controller_id.0,
        nodes: m
            .brokers
            .iter()
            .map(|b| ClusterNode {
                node_id: b.broker_id.0,
                host: string_from_kafka(&b.host),
                port: b.port,
                rack: opt_from_kafka(&b.rack),
                is_fenced: v >= 2 && b.is_fenced,
            })
            .collect(),
        cluster_authorized_operations: m.cluster_authorized_operations,
    }
}
