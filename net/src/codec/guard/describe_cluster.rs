//! DescribeCluster (60) bodies, versions 0-2 (all flexible), walked in kafka-protocol's order:
//! v1 adds `EndpointType` (KIP-919), v2 `IncludeFencedBrokers` / `IsFenced` (KIP-1073). Neither
//! message has tagged fields of its own, so every tag is skipped by size.

use super::Walker;
use crate::error::DecodeError;

pub(super) fn walk_request(w: &mut Walker<'_>, v: i16) -> Result<(), DecodeError> {
    w.i8("include_cluster_authorized_operations")?;
    if v >= 1 {
        w.i8("endpoint_type")?;
    }
    if v >= 2 {
        w.i8("include_fenced_brokers")?;
    }
    w.no_known_tags("tagged_fields")
}

pub(super) fn walk_response(w: &mut Walker<'_>, v: i16) -> Result<(), DecodeError> {
    w.i32("throttle_time_ms")?;
    w.i16("error_code")?;
    w.string(true, "error_message")?;
    if v >= 1 {
        w.i8("endpoint_type")?;
    }
    w.string(true, "cluster_id")?;
    w.i32("controller_id")?;
    w.array(true, "brokers", |w| {
        w.i32("broker_id")?;
        w.string(true, "host")?;
        w.i32("port")?;
        w.string(true, "rack")?;
        if v >= 2 {
            w.i8("is_fenced")?;
        }
        w.no_known_tags("tagged_fields")
    })?;
    w.i32("cluster_authorized_operations")?;
    w.no_known_tags("tagged_fields")
}
