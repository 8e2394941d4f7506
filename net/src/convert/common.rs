use std::fmt;

use kafka_protocol::protocol::StrBytes;
use kraft_engine::message::{ErrorCode, Uuid};

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
        ) -> Vec<kraft_engine::message::NodeEndpoint> {
            endpoints
                .iter()
                .map(|e| kraft_engine::message::NodeEndpoint {
                    node_id: e.node_id.0,
                    host: e.host.as_str().to_owned(),
                    port: e.port,
                })
                .collect()
        }

        pub(crate) fn node_endpoints_to_kafka(
            endpoints: &[kraft_engine::message::NodeEndpoint],
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
        ) -> Vec<kraft_engine::message::LeaderEndpoint> {
            endpoints
                .iter()
                .map(|e| kraft_engine::message::LeaderEndpoint {
                    name: e.name.as_str().to_owned(),
                    host: e.host.as_str().to_owned(),
                    port: e.port,
                })
                .collect()
        }

        pub(crate) fn listeners_to_kafka(
            endpoints: &[kraft_engine::message::LeaderEndpoint],
        ) -> Vec<$ty> {
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
