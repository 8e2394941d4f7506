//! What a controller says about the cluster: DescribeCluster with endpoint type "controller"
//! (KIP-919: the cluster id, the controllers and the active one, as Kafka's admin client asks
//! when bootstrapped to controllers), and the finalized kraft.version of its ApiVersions answer.

use std::time::Duration;

use kafka_protocol::messages::ApiVersionsRequest;
use kafka_protocol::protocol::StrBytes;
use kraft_engine::message::{DescribeClusterRequest, DescribeClusterResponse, EndpointType};
use kraft_net::codec::{KafkaRequest, KafkaResponse};
use kraft_net::convert;

use super::describe::{connect, exchange, negotiate, Failure};
use super::error_text::describe_error;

const API_KEY_API_VERSIONS: i16 = 18;
const API_KEY_DESCRIBE_CLUSTER: i16 = 60;
const KRAFT_VERSION_FEATURE: &str = "kraft.version";

/// The controllers as `server` knows them; a top-level error is a refusal `NAME: message`.
pub fn describe_cluster(server: &str, timeout_ms: u64) -> Result<DescribeClusterResponse, Failure> {
    let timeout = Duration::from_millis(timeout_ms.max(1));
    let mut stream = connect(server, timeout).map_err(Failure::Unreachable)?;
    let version = negotiate(&mut stream, API_KEY_DESCRIBE_CLUSTER, "DescribeCluster", 2)?;
    if version < 1 {
        return Err(Failure::Refused(
            "speaks DescribeCluster v0 only, which cannot ask for controllers".into(),
        ));
    }
    let request = DescribeClusterRequest {
        include_cluster_authorized_operations: false,
        endpoint_type: EndpointType::CONTROLLER,
        include_fenced_brokers: false,
    };
    let wire = convert::describe_cluster::request_to_kafka(&request, version);
    let response = exchange(
        &mut stream,
        2,
        API_KEY_DESCRIBE_CLUSTER,
        version,
        KafkaRequest::DescribeCluster(wire),
    )?;
    let KafkaResponse::DescribeCluster(response) = response else {
        return Err(Failure::Refused(
            "unexpected answer to DescribeCluster".into(),
        ));
    };
    let response = convert::describe_cluster::response_from_kafka(response, version);
    if !response.error_code.is_none() {
        return Err(Failure::Refused(describe_error(
            response.error_code,
            response.error_message.as_deref(),
        )));
    }
    Ok(response)
}

/// The `kraft.version` level among the `FinalizedFeatures` of `server`'s ApiVersions answer.
/// A Kafka controller lists it only from level 1 on, so its absence means 0.
pub fn finalized_kraft_version(server: &str, timeout_ms: u64) -> Result<i16, String> {
    let timeout = Duration::from_millis(timeout_ms.max(1));
    let mut stream = connect(server, timeout)?;
    let mut request = ApiVersionsRequest::default();
    request.client_software_name = StrBytes::from_static_str("kraft-quorum");
    request.client_software_version = StrBytes::from_static_str(env!("CARGO_PKG_VERSION"));
    let response = exchange(
        &mut stream,
        1,
        API_KEY_API_VERSIONS,
        3,
        KafkaRequest::ApiVersions(request),
    )
    .map_err(Failure::why)?;
    let KafkaResponse::ApiVersions(response) = response else {
        return Err("unexpected answer to ApiVersions".into());
    };
    if response.error_code != 0 {
        return Err(format!(
            "answered ApiVersions with error code {}",
            response.error_code
        ));
    }
    Ok(response
        .finalized_features
        .iter()
        .find(|f| f.name.as_str() == KRAFT_VERSION_FEATURE)
        .map_or(0, |f| f.max_version_level))
}
