//! Which APIs and versions this node serves, and which header version each uses.

use kafka_protocol::messages::ApiKey;

/// One API this node serves, as advertised in ApiVersions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiRange {
    pub api_key: i16,
    pub min_version: i16,
    pub max_version: i16,
}

impl ApiRange {
    pub fn contains(&self, api_version: i16) -> bool {
        self.min_version <= api_version && api_version <= self.max_version
    }
}

pub const API_KEY_FETCH: i16 = 1;
pub const API_KEY_API_VERSIONS: i16 = 18;
pub const API_KEY_VOTE: i16 = 52;
pub const API_KEY_BEGIN_QUORUM_EPOCH: i16 = 53;
pub const API_KEY_END_QUORUM_EPOCH: i16 = 54;
pub const API_KEY_DESCRIBE_QUORUM: i16 = 55;
pub const API_KEY_FETCH_SNAPSHOT: i16 = 59;
pub const API_KEY_DESCRIBE_CLUSTER: i16 = 60;
pub const API_KEY_ADD_RAFT_VOTER: i16 = 80;
pub const API_KEY_REMOVE_RAFT_VOTER: i16 = 81;
pub const API_KEY_UPDATE_RAFT_VOTER: i16 = 82;

/// Everything this node decodes and answers, exactly what ApiVersions advertises.
///
/// Fetch starts at 13 because KRaft identifies its topic by id (Fetch v13+); 18 adds the
/// fetcher's high watermark (KAFKA-14145), carried to the core in `FetchRequest::high_watermark`.
/// Vote 2 is pre-vote (KIP-996). The voter-change APIs (KIP-853) go to the core like the other
/// Raft RPCs; AddRaftVoter 1 adds `AckWhenCommitted` (KIP-1186), which kafka-protocol 0.18 does
/// not know: [`super::add_raft_voter`] handles it. DescribeCluster
/// is what Kafka's admin client sends first when pointed at controllers (KIP-919): without it,
/// `kafka-metadata-quorum --bootstrap-controller` fails before it asks DescribeQuorum.
pub const SUPPORTED_APIS: [ApiRange; 11] = [
    ApiRange {
        api_key: API_KEY_FETCH,
        min_version: 13,
        max_version: 18,
    },
    ApiRange {
        api_key: API_KEY_API_VERSIONS,
        min_version: 0,
        max_version: 4,
    },
    ApiRange {
        api_key: API_KEY_VOTE,
        min_version: 0,
        max_version: 2,
    },
    ApiRange {
        api_key: API_KEY_BEGIN_QUORUM_EPOCH,
        min_version: 0,
        max_version: 1,
    },
    ApiRange {
        api_key: API_KEY_END_QUORUM_EPOCH,
        min_version: 0,
        max_version: 1,
    },
    ApiRange {
        api_key: API_KEY_DESCRIBE_QUORUM,
        min_version: 0,
        max_version: 2,
    },
    ApiRange {
        api_key: API_KEY_FETCH_SNAPSHOT,
        min_version: 0,
        max_version: 1,
    },
    ApiRange {
        api_key: API_KEY_DESCRIBE_CLUSTER,
        min_version: 0,
        max_version: 2,
    },
    ApiRange {
        api_key: API_KEY_ADD_RAFT_VOTER,
        min_version: 0,
        max_version: 1,
    },
    ApiRange {
        api_key: API_KEY_REMOVE_RAFT_VOTER,
        min_version: 0,
        max_version: 0,
    },
    ApiRange {
        api_key: API_KEY_UPDATE_RAFT_VOTER,
        min_version: 0,
        max_version: 0,
    },
];

/// The advertised range of `api_key`, if this node serves it.
pub fn supported_range(api_key: i16) -> Option<ApiRange> {
    SUPPORTED_APIS
        .iter()
        .copied()
        .find(|r| r.api_key == api_key)
}

/// Whether `api_version` of `api_key` uses flexible encodings (compact types, tagged fields),
/// for the APIs this node knows. `None` for an unknown key.
pub fn is_flexible(api_key: i16, api_version: i16) -> Option<bool> {
    let first_flexible = match api_key {
        API_KEY_FETCH => 12,
        API_KEY_API_VERSIONS => 3,
        API_KEY_VOTE | API_KEY_DESCRIBE_QUORUM | API_KEY_FETCH_SNAPSHOT => 0,
        API_KEY_DESCRIBE_CLUSTER => 0,
        API_KEY_BEGIN_QUORUM_EPOCH | API_KEY_END_QUORUM_EPOCH => 1,
        API_KEY_ADD_RAFT_VOTER | API_KEY_REMOVE_RAFT_VOTER | API_KEY_UPDATE_RAFT_VOTER => 0,
        _ => return None,
    };
    Some(api_version >= first_flexible)
}

/// Request header version: 2 for flexible versions, else 1.
pub fn request_header_version(api_key: i16, api_version: i16) -> Option<i16> {
    is_flexible(api_key, api_version).map(|flexible| if flexible { 2 } else { 1 })
}

/// Response header version: 1 for flexible versions, else 0; ApiVersions always 0 so that a
/// client can read the response whatever version it asked for.
pub fn response_header_version(api_key: i16, api_version: i16) -> Option<i16> {
    if api_key == API_KEY_API_VERSIONS {
        return Some(0);
    }
    is_flexible(api_key, api_version).map(|flexible| if flexible { 1 } else { 0 })
}

/// The kafka-protocol key of an api key this node serves.
pub fn api_key_of(api_key: i16) -> Option<ApiKey> {
    supported_range(api_key)?;
    ApiKey::try_from(api_key).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_versions_agree_with_kafka_protocol() {
        for range in SUPPORTED_APIS {
            let key = api_key_of(range.api_key).expect("served api has a kafka-protocol key");
            let crate_range = key.valid_versions();
            // AddRaftVoter 1 is ours (see `add_raft_voter`): kafka-protocol stops at 0.
            let crate_max = if range.api_key == API_KEY_ADD_RAFT_VOTER {
                1
            } else {
                crate_range.max
            };
            assert!(crate_range.min <= range.min_version && range.max_version <= crate_max);
            for v in range.min_version..=range.max_version {
                assert_eq!(
                    request_header_version(range.api_key, v),
                    Some(key.request_header_version(v)),
                    "request header of {key:?} v{v}"
                );
                assert_eq!(
                    response_header_version(range.api_key, v),
                    Some(key.response_header_version(v)),
                    "response header of {key:?} v{v}"
                );
            }
        }
    }
}
