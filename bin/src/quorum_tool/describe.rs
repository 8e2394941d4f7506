//! DescribeQuorum exchanges over plain blocking sockets (a tool, not the server's data path):
//! each member at most once, the leader a follower names first, and, when no member can
//! describe the quorum, what each one said.

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::describe_quorum_request::{PartitionData, TopicData};
use kafka_protocol::messages::describe_quorum_response::ReplicaState;
use kafka_protocol::messages::{
    ApiVersionsRequest, DescribeQuorumRequest, DescribeQuorumResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use kraft_engine::message::{ErrorCode, LeaderEndpoint};
use kraft_net::addr::{join_host_port, split_host_port, HostResolver};
use kraft_net::codec::{
    decode_response, encode_request_frame, KafkaRequest, KafkaResponse, RequestHeader,
};
use kraft_records::Uuid;
use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const TOPIC: &str = "__raft_performance_test";
const API_KEY_API_VERSIONS: i16 = 18;
const API_KEY_DESCRIBE_QUORUM: i16 = 55;
const NOT_LEADER_OR_FOLLOWER: i16 = 6;
/// Responses larger than this are not a DescribeQuorum answer.
const MAX_RESPONSE_BYTES: usize = 16 << 20;
/// Redirects followed at most (bounds the loop between nodes that name each other).
const MAX_REDIRECTS: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    pub id: i32,
    /// Zero when the replica did not send one (or DescribeQuorum below v2).
    pub directory_id: Uuid,
    pub log_end_offset: i64,
    pub last_fetch_timestamp: i64,
    pub last_caught_up_timestamp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quorum {
    pub leader_id: i32,
    pub leader_epoch: i32,
    pub high_watermark: i64,
    pub voters: Vec<Replica>,
    pub observers: Vec<Replica>,
    /// DescribeQuorum v2 `Nodes`: each node's listeners (none below v2).
    pub endpoints: BTreeMap<i32, Vec<LeaderEndpoint>>,
}

/// A follower's NOT_LEADER_OR_FOLLOWER answer: whom it follows, in which epoch, and (v2) where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowerView {
    pub leader_id: i32,
    pub leader_epoch: i32,
    pub leader_endpoint: Option<String>,
}

enum Answer {
    Quorum(Quorum),
    NotLeader(FollowerView),
}

/// Why a node gave no answer.
pub(super) enum Failure {
    /// No response: cannot resolve, connect, send or read.
    Unreachable(String),
    /// The node responded, but not with a description (an error code, or no DescribeQuorum in
    /// its ApiVersions). Kafka's TestRaftServer answers UNKNOWN_SERVER_ERROR: it routes only the
    /// Raft RPCs.
    Refused(String),
}

impl Failure {
    pub(super) fn why(self) -> String {
        match self {
            Failure::Unreachable(why) | Failure::Refused(why) => why,
        }
    }
}

/// What the members said when none described the quorum.
#[derive(Debug, Default)]
pub struct Undescribed {
    /// Each follower's view, with the server that gave it.
    pub followers: Vec<(String, FollowerView)>,
    /// Servers that responded without a description, and what they said.
    pub refusals: Vec<(String, String)>,
    /// Servers that could not be reached.
    pub unreachable: Vec<(String, String)>,
}

/// The leader as the followers of the highest epoch report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedLeader {
    pub leader_id: i32,
    pub leader_epoch: i32,
    pub endpoint: Option<String>,
    pub reported_by: Vec<String>,
}

impl Undescribed {
    /// The leader of the highest epoch any follower named.
    pub fn reported_leader(&self) -> Option<ReportedLeader> {
        let epoch = self
            .followers
            .iter()
            .filter(|(_, f)| f.leader_id >= 0)
            .map(|(_, f)| f.leader_epoch)
            .max()?;
        let views: Vec<&(String, FollowerView)> = self
            .followers
            .iter()
            .filter(|(_, f)| f.leader_id >= 0 && f.leader_epoch == epoch)
            .collect();
        let first = &views.first()?.1;
        Some(ReportedLeader {
            leader_id: first.leader_id,
            leader_epoch: epoch,
            endpoint: views.iter().find_map(|(_, f)| f.leader_endpoint.clone()),
            reported_by: views.iter().map(|(server, _)| server.clone()).collect(),
        })
    }

    /// What the reported leader answered, when it was reached and responded without a
    /// description.
    pub fn leader_refusal(&self) -> Option<&str> {
        let endpoint = self.reported_leader()?.endpoint?;
        self.refusals
            .iter()
            .find(|(server, _)| *server == endpoint)
            .map(|(_, why)| why.as_str())
    }

    /// One line naming every server and what it said.
    pub fn summary(&self) -> String {
        let followers = self.followers.iter().map(|(server, f)| {
            format!(
                "{server}: follower of {} in epoch {}",
                f.leader_id, f.leader_epoch
            )
        });
        let others = self
            .refusals
            .iter()
            .chain(&self.unreachable)
            .map(|(server, why)| format!("{server}: {why}"));
        followers.chain(others).collect::<Vec<_>>().join("; ")
    }
}

/// Asks each server once, the leader a follower names first; stops at the first description,
/// returned with the server that gave it (the leader).
pub fn describe(servers: &[String], timeout_ms: u64) -> Result<(String, Quorum), Undescribed> {
    let mut queue: VecDeque<String> = servers.iter().cloned().collect();
    let mut asked: Vec<String> = Vec::new();
    let mut outcome = Undescribed::default();
    while let Some(server) = queue.pop_front() {
        if asked.contains(&server) || asked.len() >= servers.len() + MAX_REDIRECTS {
            continue;
        }
        asked.push(server.clone());
        match ask(&server, timeout_ms) {
            Ok(Answer::Quorum(q)) => return Ok((server, q)),
            Ok(Answer::NotLeader(view)) => {
                if let Some(leader) = &view.leader_endpoint {
                    if !asked.contains(leader) {
                        queue.push_front(leader.clone());
                    }
                }
                outcome.followers.push((server, view));
            }
            Err(Failure::Refused(why)) => outcome.refusals.push((server, why)),
            Err(Failure::Unreachable(why)) => outcome.unreachable.push((server, why)),
        }
    }
    Err(outcome)
}

/// Connects to the first of the server's addresses that accepts, in the JVM's order, as Kafka's
/// admin client does with `client.dns.lookup=use_all_dns_ips`.
pub(super) fn connect(server: &str, timeout: Duration) -> Result<TcpStream, String> {
    let (host, port) = split_host_port(server).map_err(|e| e.to_string())?;
    let addresses = HostResolver::system()
        .resolve(host, port)
        .map_err(|e| format!("cannot resolve: {e}"))?;
    let mut failures = Vec::with_capacity(addresses.len());
    let mut connected = None;
    for address in addresses {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(stream) => {
                connected = Some(stream);
                break;
            }
            Err(e) => failures.push(format!("{address}: {e}")),
        }
    }
    let stream = connected.ok_or_else(|| format!("cannot connect: {}", failures.join("; ")))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    Ok(stream)
}

/// The highest version of `api_key` (at most `highest`) both sides speak, as Kafka clients
/// negotiate it.
pub(super) fn negotiate(
    stream: &mut TcpStream,
    api_key: i16,
    name: &str,
    highest: i16,
) -> Result<i16, Failure> {
    // ApiVersions v3+ must name the client's software, or Kafka (and our server) answer
    // INVALID_REQUEST (`ApiVersionsRequest.isValid`).
    let mut request = ApiVersionsRequest::default();
    request.client_software_name = StrBytes::from_static_str("kraft-quorum");
    request.client_software_version = StrBytes::from_static_str(env!("CARGO_PKG_VERSION"));
    let versions = exchange(
        stream,
        1,
        API_KEY_API_VERSIONS,
        3,
        KafkaRequest::ApiVersions(request),
    )?;
    let KafkaResponse::ApiVersions(versions) = versions else {
        return Err(Failure::Refused("unexpected answer to ApiVersions".into()));
    };
    if versions.error_code != 0 {
        return Err(Failure::Refused(format!(
            "answered ApiVersions with error code {}",
            versions.error_code
        )));
    }
    let range = versions
        .api_keys
        .iter()
        .find(|k| k.api_key == api_key)
        .ok_or_else(|| Failure::Refused(format!("does not list {name} in ApiVersions")))?;
    let version = range.max_version.min(highest);
    if version < range.min_version {
        return Err(Failure::Refused(format!("no common {name} version")));
    }
    Ok(version)
}

fn ask(server: &str, timeout_ms: u64) -> Result<Answer, Failure> {
    let timeout = Duration::from_millis(timeout_ms.max(1));
    let mut stream = connect(server, timeout).map_err(Failure::Unreachable)?;
    let version = negotiate(&mut stream, API_KEY_DESCRIBE_QUORUM, "DescribeQuorum", 2)?;
    let request = DescribeQuorumRequest::default().with_topics(vec![TopicData::default()
        .with_topic_name(TopicName(StrBytes::from_static_str(TOPIC)))
        .with_partitions(vec![PartitionData::default().with_partition_index(0)])]);
    let response = exchange(
        &mut stream,
        2,
        API_KEY_DESCRIBE_QUORUM,
        version,
        KafkaRequest::DescribeQuorum(request),
    )?;
    let KafkaResponse::DescribeQuorum(response) = response else {
        return Err(Failure::Refused(
            "unexpected answer to DescribeQuorum".into(),
        ));
    };
    read_answer(response)
}

fn read_answer(response: DescribeQuorumResponse) -> Result<Answer, Failure> {
    if response.error_code != 0 {
        return Err(Failure::Refused(format!(
            "answered DescribeQuorum with {}",
            error_name(response.error_code)
        )));
    }
    let partition = response
        .topics
        .first()
        .and_then(|t| t.partitions.first())
        .ok_or_else(|| Failure::Refused("empty DescribeQuorum response".into()))?;
    if partition.error_code == NOT_LEADER_OR_FOLLOWER {
        let leader_endpoint = (partition.leader_id.0 >= 0)
            .then(|| {
                response
                    .nodes
                    .iter()
                    .find(|n| n.node_id == partition.leader_id)
            })
            .flatten()
            .and_then(|n| n.listeners.first())
            .map(|l| join_host_port(&l.host, l.port));
        return Ok(Answer::NotLeader(FollowerView {
            leader_id: partition.leader_id.0,
            leader_epoch: partition.leader_epoch,
            leader_endpoint,
        }));
    }
    if partition.error_code != 0 {
        return Err(Failure::Refused(format!(
            "answered DescribeQuorum with partition error {}",
            error_name(partition.error_code)
        )));
    }
    let replica = |r: &ReplicaState| Replica {
        id: r.replica_id.0,
        directory_id: Uuid(*r.replica_directory_id.as_bytes()),
        log_end_offset: r.log_end_offset,
        last_fetch_timestamp: r.last_fetch_timestamp,
        last_caught_up_timestamp: r.last_caught_up_timestamp,
    };
    Ok(Answer::Quorum(Quorum {
        leader_id: partition.leader_id.0,
        leader_epoch: partition.leader_epoch,
        high_watermark: partition.high_watermark,
        voters: partition.current_voters.iter().map(replica).collect(),
        observers: partition.observers.iter().map(replica).collect(),
        endpoints: response
            .nodes
            .iter()
            .map(|n| {
                let listeners = n
                    .listeners
                    .iter()
                    .map(|l| LeaderEndpoint {
                        name: l.name.as_str().to_owned(),
                        host: l.host.as_str().to_owned(),
                        port: l.port,
                    })
                    .collect();
                (n.node_id.0, listeners)
            })
            .collect(),
    }))
}

pub(super) fn error_name(code: i16) -> String {
    match ErrorCode(code).name() {
        Some(name) => format!("{name} ({code})"),
        None => format!("error code {code}"),
    }
}

pub(super) fn exchange(
    stream: &mut TcpStream,
    correlation_id: i32,
    api_key: i16,
    api_version: i16,
    body: KafkaRequest,
) -> Result<KafkaResponse, Failure> {
    use Failure::{Refused, Unreachable};
    let header = RequestHeader {
        api_key,
        api_version,
        correlation_id,
        client_id: Some("kraft-quorum".into()),
    };
    let frame: BytesMut =
        encode_request_frame(&header, &body).map_err(|e| Unreachable(e.to_string()))?;
    stream
        .write_all(&frame)
        .map_err(|e| Unreachable(format!("send failed: {e}")))?;
    let mut size = [0u8; 4];
    stream
        .read_exact(&mut size)
        .map_err(|e| Unreachable(format!("no response: {e}")))?;
    let size = i32::from_be_bytes(size);
    if size < 0 || size as usize > MAX_RESPONSE_BYTES {
        return Err(Refused(format!("bad response size {size}")));
    }
    let mut buf = vec![0u8; size as usize];
    stream
        .read_exact(&mut buf)
        .map_err(|e| Unreachable(format!("truncated response: {e}")))?;
    let (got, response) = decode_response(Bytes::from(buf), api_key, api_version)
        .map_err(|e| Refused(format!("undecodable response: {e}")))?;
    if got != correlation_id {
        return Err(Refused(format!(
            "correlation id {got}, expected {correlation_id}"
        )));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(leader_id: i32, leader_epoch: i32, endpoint: Option<&str>) -> FollowerView {
        FollowerView {
            leader_id,
            leader_epoch,
            leader_endpoint: endpoint.map(str::to_string),
        }
    }

    #[test]
    fn the_leader_of_the_highest_epoch_is_reported() {
        let outcome = Undescribed {
            followers: vec![
                ("b:2".into(), view(3, 4, Some("c:3"))),
                ("d:4".into(), view(1, 5, None)),
                ("e:5".into(), view(1, 5, Some("a:1"))),
                ("f:6".into(), view(-1, 6, None)),
            ],
            refusals: vec![("a:1".into(), "UNKNOWN_SERVER_ERROR (-1)".into())],
            unreachable: vec![("c:3".into(), "cannot connect".into())],
        };
        let leader = outcome.reported_leader().unwrap();
        assert_eq!((leader.leader_id, leader.leader_epoch), (1, 5));
        assert_eq!(leader.endpoint.as_deref(), Some("a:1"));
        assert_eq!(leader.reported_by, vec!["d:4", "e:5"]);
        assert_eq!(outcome.leader_refusal(), Some("UNKNOWN_SERVER_ERROR (-1)"));
        let summary = outcome.summary();
        assert!(summary.contains("b:2: follower of 3 in epoch 4"));
        assert!(summary.contains("c:3: cannot connect"));
    }

    /// An unreachable leader is not one that "does not serve DescribeQuorum".
    #[test]
    fn an_unreachable_leader_is_no_refusal() {
        let outcome = Undescribed {
            followers: vec![("b:2".into(), view(1, 5, Some("a:1")))],
            refusals: vec![("z:9".into(), "UNKNOWN_SERVER_ERROR (-1)".into())],
            unreachable: vec![("a:1".into(), "cannot connect".into())],
        };
        assert!(outcome.reported_leader().is_some());
        assert_eq!(outcome.leader_refusal(), None);
        assert_eq!(Undescribed::default().reported_leader(), None);
    }
}
