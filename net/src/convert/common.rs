use std::fmt;

use kafka_protocol::protocol::StrBytes;
use kraft_message::{ErrorCode, Uuid};

/// A wire message whose shape the Raft types cannot hold (not exactly one topic with one
/// partition).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError {
    pub reason: String,
}

impl ShapeError {
    pub fn new(reason: String) -> Self {
        ShapeError { reason }
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unexpected message shape: {}", self.reason)
    }
}

impl std::error::Error for ShapeError {}

/// The single element of a topic or partition list.
pub(crate) fn single<T>(items: Vec<T>, what: &str) -> Result<T, ShapeError> {
    let count = items.len();
    let mut items = items.into_iter();
    match (items.next(), count) {
        (Some(item), 1) => Ok(item),
        _ => Err(ShapeError::new(format!(
            "{count} {what}, expected exactly one"
        ))),
    }
}

pub(crate) fn uuid_from_kafka(id: uuid::Uuid) -> Uuid {
    Uuid(*id.as_bytes())
}

pub(crate) fn uuid_to_kafka(id: Uuid) -> uuid::Uuid {
    uuid::Uuid::from_bytes(id.0)
}

pub(crate) fn string_from_kafka(s: &StrBytes) -> String {
    s.as_str().to_owned()
}

pub(crate) fn str_to_kafka(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

pub(crate) fn opt_from_kafka(s: &Option<StrBytes>) -> Option<String> {
    s.as_ref().map(string_from_kafka)
}

pub(crate) fn opt_to_kafka(s: &Option<String>) -> Option<StrBytes> {
    s.as_deref().map(str_to_kafka)
}

pub(crate) fn code(c: i16) -> ErrorCode {
    ErrorCode(c)
}

/// Kafka's three NodeEndpoint shapes ({NodeId, Host, Port uint16}) share this conversion.
macro_rules! node_endpoint_conversions {
    ($ty:path) => {
        pub(crate) fn node_endpoints_from_kafka(
            endpoints: &[$ty],
        ) -> Vec<kraft_message::NodeEndpoint> {
            endpoints
                .iter()
                .map(|e| kraft_message::NodeEndpoint {
                    node_id: e.node_id.0,
                    host: e.host.as_str().to_owned(),
                    port: e.port,
                })
                .collect()
        }

        pub(crate) fn node_endpoints_to_kafka(
            endpoints: &[kraft_message::NodeEndpoint],
        ) -> Vec<$ty> {
            endpoints
                .iter()
                .map(|e| {
                    let mut out = <$ty>::default();
                    out.node_id = e.node_id.into();
                    out.host = kafka_protocol::protocol::StrBytes::from_string(e.host.clone());
                    out.port = e.port;
                    out
                })
                .collect()
        }
    };
}
pub(crate) use node_endpoint_conversions;

/// Same for the {Name, Host, Port uint16} listener shapes.
macro_rules! listener_conversions {
    ($ty:path) => {
        pub(crate) fn listeners_from_kafka(
            endpoints: &[$ty],
        ) -> Vec<kraft_message::LeaderEndpoint> {
            endpoints
                .iter()
                .map(|e| kraft_message::LeaderEndpoint {
                    name: e.name.as_str().to_owned(),
                    host: e.host.as_str().to_owned(),
                    port: e.port,
                })
                .collect()
        }

        pub(crate) fn listeners_to_kafka(endpoints: &[kraft_message::LeaderEndpoint]) -> Vec<$ty> {
            endpoints
                .iter()
                .map(|e| {
                    let mut out = <$ty>::default();
                    out.name = kafka_protocol::protocol::StrBytes::from_string(e.name.clone());
                    out.host = kafka_protocol::protocol::StrBytes::from_string(e.host.clone());
                    out.port = e.port;
                    out
                })
                .collect()
        }
    };
}
pub(crate) use listener_conversions;

/// The single-partition response shape of Vote, BeginQuorumEpoch and EndQuorumEpoch: a top-level
/// error, one topic holding one partition {error, leader id, leader epoch, ...}, and (v1+) the
/// responder's endpoints. Each call site names its own `WireResponse`, `ResponseTopic` and
/// `ResponsePartition` (distinct generated types of the same shape) and brings
/// `node_endpoint_conversions!` into scope; `extra = absent` lists partition fields beyond the
/// common ones (Vote's `vote_granted`) with their value in a response that has no partition.
macro_rules! quorum_response_conversions {
    ($engine:ident $(, $extra:ident = $absent:expr)*) => {
        pub fn response_from_kafka(m: WireResponse, _v: i16) -> Result<$engine, ShapeError> {
            let node_endpoints = node_endpoints_from_kafka(&m.node_endpoints);
            if m.error_code != 0 && m.topics.is_empty() {
                return Ok($engine {
                    error_code: code(m.error_code),
                    topic_name: String::new(),
                    partition: -1,
                    partition_error_code: code(0),
                    leader_id: -1,
                    leader_epoch: -1,
                    $($extra: $absent,)*
                    node_endpoints,
                });
            }
            let topic = single(m.topics, "topics")?;
            let p = single(topic.partitions, "partitions")?;
            Ok($engine {
                error_code: code(m.error_code),
                topic_name: string_from_kafka(&topic.topic_name.0),
                partition: p.partition_index,
                partition_error_code: code(p.error_code),
                leader_id: p.leader_id.0,
                leader_epoch: p.leader_epoch,
                $($extra: p.$extra,)*
                node_endpoints,
            })
        }

        pub fn response_to_kafka(m: &$engine, v: i16) -> WireResponse {
            let mut out = WireResponse::default();
            out.error_code = m.error_code.code();
            if m.error_code.is_none() {
                let mut p = ResponsePartition::default();
                p.partition_index = m.partition;
                p.error_code = m.partition_error_code.code();
                p.leader_id = m.leader_id.into();
                p.leader_epoch = m.leader_epoch;
                $(p.$extra = m.$extra;)*
                let mut topic = ResponseTopic::default();
                topic.topic_name = str_to_kafka(&m.topic_name).into();
                topic.partitions = vec![p];
                out.topics = vec![topic];
            }
            if v >= 1 {
                out.node_endpoints = node_endpoints_to_kafka(&m.node_endpoints);
            }
            out
        }
    };
}
pub(crate) use quorum_response_conversions;
