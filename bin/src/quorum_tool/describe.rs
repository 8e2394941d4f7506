//! One DescribeQuorum exchange over a plain blocking socket (a tool, not the server's data path).

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::describe_quorum_request::{PartitionData, TopicData};
use kafka_protocol::messages::{ApiVersionsRequest, DescribeQuorumRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use kraft_net::addr::{join_host_port, split_host_port, HostResolver};
use kraft_net::codec::{
    decode_response, encode_request_frame, KafkaRequest, KafkaResponse, RequestHeader,
};
use kraft_records::Uuid;
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
}

enum Answer {
    Quorum(Quorum),
    NotLeader { leader: Option<String> },
}

/// Asks each server in turn; follows a NOT_LEADER_OR_FOLLOWER answer that names the leader's
/// endpoint.
pub fn describe(servers: &[String], timeout_ms: u64) -> Result<Quorum, String> {
    let mut errors = Vec::new();
    let mut queue: Vec<String> = servers.to_vec();
    let mut asked = 0;
    while let Some(server) = (!queue.is_empty()).then(|| queue.remove(0)) {
        asked += 1;
        if asked > servers.len() + MAX_REDIRECTS {
            break;
        }
        match ask(&server, timeout_ms) {
            Ok(Answer::Quorum(q)) => return Ok(q),
            Ok(Answer::NotLeader { leader }) => {
                errors.push(format!("{server}: not the leader"));
                if let Some(leader) = leader {
                    if !queue.contains(&leader) {
                        queue.insert(0, leader);
                    }
                }
            }
            Err(e) => errors.push(format!("{server}: {e}")),
        }
    }
    Err(format!(
        "no leader answered DescribeQuorum ({})",
        errors.join("; ")
    ))
}

/// Connects to the first of the server's addresses that accepts, in the JVM's order, as Kafka's
/// admin client does with `client.dns.lookup=use_all_dns_ips`.
fn connect_any(server: &str, timeout: Duration) -> Result<TcpStream, String> {
    let (host, port) = split_host_port(server).map_err(|e| e.to_string())?;
    let addresses = HostResolver::system()
        .resolve(host, port)
        .map_err(|e| format!("cannot resolve: {e}"))?;
    let mut failures = Vec::with_capacity(addresses.len());
    for address in addresses {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => failures.push(format!("{address}: {e}")),
        }
    }
    Err(format!("cannot connect: {}", failures.join("; ")))
}

fn ask(server: &str, timeout_ms: u64) -> Result<Answer, String> {
    let timeout = Duration::from_millis(timeout_ms.max(1));
    let mut stream = connect_any(server, timeout)?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;

    // Negotiate the DescribeQuorum version as Kafka clients do: the highest both support.
    let versions = exchange(
        &mut stream,
        1,
        API_KEY_API_VERSIONS,
        3,
        KafkaRequest::ApiVersions(ApiVersionsRequest::default()),
    )?;
    let KafkaResponse::ApiVersions(versions) = versions else {
        return Err("unexpected answer to ApiVersions".into());
    };
    let range = versions
        .api_keys
        .iter()
        .find(|k| k.api_key == API_KEY_DESCRIBE_QUORUM)
        .ok_or("the node does not serve DescribeQuorum")?;
    let version = range.max_version.min(2);
    if version < range.min_version {
        return Err("no common DescribeQuorum version".into());
    }
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
        return Err("unexpected answer to DescribeQuorum".into());
    };
    if response.error_code != 0 {
        return Err(format!("error code {}", response.error_code));
    }
    let partition = response
        .topics
        .first()
        .and_then(|t| t.partitions.first())
        .ok_or("empty DescribeQuorum response")?;
    if partition.error_code == NOT_LEADER_OR_FOLLOWER {
        let leader = (partition.leader_id.0 >= 0)
            .then(|| {
                response
                    .nodes
                    .iter()
                    .find(|n| n.node_id == partition.leader_id)
            })
            .flatten()
            .and_then(|n| n.listeners.first())
            .map(|l| join_host_port(&l.host, l.port));
        return Ok(Answer::NotLeader { leader });
    }
    if partition.error_code != 0 {
        return Err(format!("partition error code {}", partition.error_code));
    }
    let replica = |r: &kafka_protocol::messages::describe_quorum_response::ReplicaState| Replica {
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
    }))
}

fn exchange(
    stream: &mut TcpStream,
    correlation_id: i32,
    api_key: i16,
    api_version: i16,
    body: KafkaRequest,
) -> Result<KafkaResponse, String> {
    let header = RequestHeader {
        api_key,
        api_version,
        correlation_id,
        client_id: Some("kraft-quorum".into()),
    };
    let frame: BytesMut = encode_request_frame(&header, &body).map_err(|e| e.to_string())?;
    stream
        .write_all(&frame)
        .map_err(|e| format!("send failed: {e}"))?;
    let mut size = [0u8; 4];
    stream
        .read_exact(&mut size)
        .map_err(|e| format!("no response: {e}"))?;
    let size = i32::from_be_bytes(size);
    if size < 0 || size as usize > MAX_RESPONSE_BYTES {
        return Err(format!("bad response size {size}"));
    }
    let mut buf = vec![0u8; size as usize];
    stream
        .read_exact(&mut buf)
        .map_err(|e| format!("truncated response: {e}"))?;
    let (got, response) =
        decode_response(Bytes::from(buf), api_key, api_version).map_err(|e| e.to_string())?;
    if got != correlation_id {
        return Err(format!("correlation id {got}, expected {correlation_id}"));
    }
    Ok(response)
}
