//! How the tool reports an error code: Kafka's name and the server's message, or, when the
//! server sent none, the default message Kafka's client shows for that code
//! (`org.apache.kafka.common.protocol.Errors`).

use kraft_engine::message::ErrorCode;

/// Kafka's default message of the codes a voter change or DescribeCluster can answer.
fn default_message(code: ErrorCode) -> Option<&'static str> {
    Some(match code {
        ErrorCode::UNKNOWN_SERVER_ERROR => {
            "The server experienced an unexpected error when processing the request."
        }
        ErrorCode::NOT_LEADER_OR_FOLLOWER => {
            "For requests intended only for the leader, this error indicates that the broker is \
             not the current leader. For requests intended for any replica, this error indicates \
             that the broker is not a replica of the topic partition."
        }
        ErrorCode::REQUEST_TIMED_OUT => "The request timed out.",
        ErrorCode::BROKER_NOT_AVAILABLE => "The broker is not available.",
        ErrorCode::CLUSTER_AUTHORIZATION_FAILED => "Cluster authorization failed.",
        ErrorCode::UNSUPPORTED_VERSION => "The version of API is not supported.",
        ErrorCode::NOT_CONTROLLER => "This is not the correct controller for this cluster.",
        ErrorCode::INVALID_REQUEST => {
            "This most likely occurs because of a request being malformed by the client library \
             or the message was sent to an incompatible broker. See the broker logs for more \
             details."
        }
        ErrorCode::FENCED_LEADER_EPOCH => {
            "The leader epoch in the request is older than the epoch on the broker."
        }
        ErrorCode::UNKNOWN_LEADER_EPOCH => {
            "The leader epoch in the request is newer than the epoch on the broker."
        }
        ErrorCode::INVALID_UPDATE_VERSION => "The given update version was invalid.",
        ErrorCode::INCONSISTENT_CLUSTER_ID => {
            "The clusterId in the request does not match that found on the server."
        }
        ErrorCode::INVALID_VOTER_KEY => "The voter key doesn't match the receiving replica's key.",
        ErrorCode::DUPLICATE_VOTER => "The voter is already part of the set of voters.",
        ErrorCode::VOTER_NOT_FOUND => "The voter is not part of the set of voters.",
        _ => return None,
    })
}

/// `NAME: message` (`error code N: message` for a code Kafka does not name here).
pub fn describe_error(code: ErrorCode, message: Option<&str>) -> String {
    let name = code
        .name()
        .map_or_else(|| format!("error code {}", code.0), str::to_string);
    match message.or_else(|| default_message(code)) {
        Some(message) => format!("{name}: {message}"),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_message_wins_and_kafkas_default_fills_in() {
        assert_eq!(
            describe_error(ErrorCode::UNSUPPORTED_VERSION, Some("no reconfiguration")),
            "UNSUPPORTED_VERSION: no reconfiguration"
        );
        assert_eq!(
            describe_error(ErrorCode::DUPLICATE_VOTER, None),
            "DUPLICATE_VOTER: The voter is already part of the set of voters."
        );
        assert_eq!(describe_error(ErrorCode(999), None), "error code 999");
    }
}
