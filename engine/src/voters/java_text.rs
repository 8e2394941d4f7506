//! Kafka's `toString` shapes, for error messages that quote replica keys and voter sets the way
//! Kafka's handlers do (an operator reading either node's answer sees the same text).

use crate::message::{LeaderEndpoint, ReplicaKey};

/// `ReplicaKey(id=1, directoryId=Optional[<uuid>])`, or `Optional.empty` without one.
pub fn replica_key(key: ReplicaKey) -> String {
    let directory = if key.directory_id.is_zero() {
        "Optional.empty".to_string()
    } else {
        format!("Optional[{}]", key.directory_id)
    };
    format!("ReplicaKey(id={}, directoryId={directory})", key.id)
}

/// A Java set of replica keys: `[ReplicaKey(...), ReplicaKey(...)]`.
pub fn replica_keys(keys: impl Iterator<Item = ReplicaKey>) -> String {
    let items: Vec<String> = keys.map(replica_key).collect();
    format!("[{}]", items.join(", "))
}

/// `Optional[<offset>]` or `Optional.empty`.
pub fn optional_offset(offset: Option<i64>) -> String {
    offset.map_or("Optional.empty".to_string(), |o| format!("Optional[{o}]"))
}

/// Kafka's `Endpoints.toString`: `Endpoints(endpoints={ListenerName(NAME)=host:port, ...})`.
pub fn endpoints(listeners: &[LeaderEndpoint]) -> String {
    let items: Vec<String> = listeners
        .iter()
        .map(|l| format!("ListenerName({})={}:{}", l.name, l.host, l.port))
        .collect();
    format!("Endpoints(endpoints={{{}}})", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Uuid;

    #[test]
    fn shapes_match_kafka() {
        let key = ReplicaKey {
            id: 3,
            directory_id: Uuid::ZERO,
        };
        assert_eq!(
            replica_key(key),
            "ReplicaKey(id=3, directoryId=Optional.empty)"
        );
        assert_eq!(optional_offset(Some(7)), "Optional[7]");
        assert_eq!(optional_offset(None), "Optional.empty");
    }
}
