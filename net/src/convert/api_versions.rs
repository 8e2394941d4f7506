//! ApiVersions (18) as an outbound request of the core (the leader asking a would-be voter
//! which kraft.version range it supports); inbound ApiVersions are answered by net itself
//! (`server::dispatch`).

use kafka_protocol::messages::api_versions_response::SupportedFeatureKey;
use kafka_protocol::messages::{
    ApiVersionsRequest as WireRequest, ApiVersionsResponse as WireResponse,
};
use kafka_protocol::protocol::StrBytes;
use kraft_message::{ApiVersionsRequest, ApiVersionsResponse};

use super::common::*;
use crate::codec::api_versions_response;
use crate::codec::response::KRAFT_VERSION_FEATURE;

/// Software name sent in ApiVersions v3+.
pub const CLIENT_SOFTWARE_NAME: &str = "kraft-rs";
/// Software version sent in ApiVersions v3+.
pub const CLIENT_SOFTWARE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The software name and version exist from v3 on.
pub fn request_to_kafka(_m: &ApiVersionsRequest, v: i16) -> WireRequest {
    let mut out = WireRequest::default();
    if v >= 3 {
        out.client_software_name = StrBytes::from_static_str(CLIENT_SOFTWARE_NAME);
        out.client_software_version = StrBytes::from_static_str(CLIENT_SOFTWARE_VERSION);
    }
    out
}

pub fn response_from_kafka(m: WireResponse, _v: i16) -> ApiVersionsResponse {
    let kraft_version = m
        .supported_features
        .iter()
        .find(|f| f.name.as_str() == KRAFT_VERSION_FEATURE)
        .map(|f| (f.min_version, f.max_version));
    ApiVersionsResponse {
        error_code: code(m.error_code),
        kraft_version,
    }
}

/// This node's ApiVersions with the core's error code and kraft.version range (the core never
/// answers ApiVersions itself; this keeps the conversion total). Features exist from v3 on.
pub fn response_to_kafka(m: &ApiVersionsResponse, v: i16) -> WireResponse {
    let mut out = api_versions_response(m.error_code.code());
    if v < 3 {
        out.supported_features.clear();
        return out;
    }
    out.supported_features = m
        .kraft_version
        .iter()
        .map(|&(min, max)| {
            let mut feature = SupportedFeatureKey::default();
            feature.name = StrBytes::from_static_str(KRAFT_VERSION_FEATURE);
            feature.min_version = min;
            feature.max_version = max;
            feature
        })
        .collect();
    out
}
