//! `add-controller` and `remove-controller`: AddRaftVoter / RemoveRaftVoter to the active
//! controller, found as Kafka's admin client finds it when bootstrapped to controllers
//! (DescribeCluster with endpoint type "controller" names the active one and its endpoint).
//!
//! Like the admin client, the tool retries until its deadline when the answer is retriable in
//! Kafka's terms (REQUEST_TIMED_OUT: the new voter has not caught up yet, or another change is
//! pending; NOT_LEADER_OR_FOLLOWER / NOT_CONTROLLER: the leader moved, so it asks again who
//! leads; no connection), and stops at the first other answer.

use std::time::{Duration, Instant};

use kraft_engine::message::{
    AddRaftVoterRequest, ErrorCode, LeaderEndpoint, RemoveRaftVoterRequest, Uuid,
};
use kraft_net::addr::join_host_port;
use kraft_net::codec::{KafkaRequest, KafkaResponse};
use kraft_net::convert;

use super::cluster::describe_cluster;
use super::describe::{connect, exchange, negotiate, Failure};
use super::error_text::describe_error;

const API_KEY_ADD_RAFT_VOTER: i16 = 80;
const API_KEY_REMOVE_RAFT_VOTER: i16 = 81;
/// Attempts at most, whatever the deadline (bounds the loop).
const MAX_ATTEMPTS: u32 = 200;
const FIRST_BACKOFF_MS: u64 = 100;
const MAX_BACKOFF_MS: u64 = 1000;
/// Time the socket waits beyond the request's own `TimeoutMs` for the leader's answer.
const ANSWER_MARGIN_MS: u64 = 2000;

/// The voter change to make.
pub enum Change {
    Add {
        voter_id: i32,
        directory_id: Uuid,
        listeners: Vec<LeaderEndpoint>,
    },
    Remove {
        voter_id: i32,
        directory_id: Uuid,
    },
}

/// Why a change was not made: a refusal (`NAME: message`) or no answer in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeError {
    Refused(String),
    NoAnswer(String),
}

impl std::fmt::Display for ChangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChangeError::Refused(why) | ChangeError::NoAnswer(why) => f.write_str(why),
        }
    }
}

/// One attempt's outcome.
enum Attempt {
    Done,
    /// Retriable: try again (and look the leader up again) until the deadline.
    Retry(String),
    Refused(String),
}

/// Makes the change, retrying retriable answers until `timeout_ms` has passed.
pub fn make_change(
    servers: &[String],
    change: &Change,
    timeout_ms: u64,
) -> Result<(), ChangeError> {
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    let mut backoff_ms = FIRST_BACKOFF_MS;
    let mut last = String::from("no attempt made");
    for _ in 0..MAX_ATTEMPTS {
        let remaining_ms = deadline
            .saturating_duration_since(Instant::now())
            .as_millis() as u64;
        if remaining_ms == 0 {
            break;
        }
        let attempt = match find_active_controller(servers, remaining_ms) {
            Ok(active) => send_change(&active, change, remaining_ms),
            Err(attempt) => attempt,
        };
        match attempt {
            Attempt::Done => return Ok(()),
            Attempt::Refused(why) => return Err(ChangeError::Refused(why)),
            Attempt::Retry(why) => last = why,
        }
        let left = deadline.saturating_duration_since(Instant::now());
        std::thread::sleep(Duration::from_millis(backoff_ms).min(left));
        backoff_ms = (backoff_ms * 2).min(MAX_BACKOFF_MS);
    }
    Err(ChangeError::NoAnswer(format!(
        "no answer within {timeout_ms} ms; last: {last}"
    )))
}

/// The active controller's `host:port`, from the first server whose DescribeCluster names one.
/// When every server refused DescribeCluster (an error code, as Kafka's TestRaftServer answers
/// UNKNOWN_SERVER_ERROR), that is final, as for Kafka's admin client; a server that cannot be
/// reached or knows no leader yet is worth asking again.
fn find_active_controller(servers: &[String], timeout_ms: u64) -> Result<String, Attempt> {
    let mut said = Vec::with_capacity(servers.len());
    let mut all_refused = true;
    for server in servers {
        match describe_cluster(server, timeout_ms) {
            Ok(response) => {
                let active = response
                    .nodes
                    .iter()
                    .find(|n| response.controller_id >= 0 && n.node_id == response.controller_id)
                    .and_then(|n| {
                        u16::try_from(n.port)
                            .ok()
                            .map(|port| join_host_port(&n.host, port))
                    });
                match active {
                    Some(active) => return Ok(active),
                    None => {
                        all_refused = false;
                        said.push(format!("{server}: knows no active controller"));
                    }
                }
            }
            Err(Failure::Refused(why)) => said.push(format!("{server}: {why}")),
            Err(Failure::Unreachable(why)) => {
                all_refused = false;
                said.push(format!("{server}: {why}"));
            }
        }
    }
    let why = format!("no active controller known ({})", said.join("; "));
    Err(if all_refused {
        Attempt::Refused(why)
    } else {
        Attempt::Retry(why)
    })
}

fn send_change(active: &str, change: &Change, timeout_ms: u64) -> Attempt {
    let socket_timeout = Duration::from_millis(timeout_ms + ANSWER_MARGIN_MS);
    let mut stream = match connect(active, socket_timeout) {
        Ok(stream) => stream,
        Err(why) => return Attempt::Retry(format!("{active}: {why}")),
    };
    let request_timeout_ms = i32::try_from(timeout_ms).unwrap_or(i32::MAX);
    let outcome = match change {
        Change::Add {
            voter_id,
            directory_id,
            listeners,
        } => {
            let request = AddRaftVoterRequest {
                cluster_id: None,
                timeout_ms: request_timeout_ms,
                voter_id: *voter_id,
                voter_directory_id: *directory_id,
                listeners: listeners.clone(),
                ack_when_committed: true,
            };
            add_voter(&mut stream, &request)
        }
        Change::Remove {
            voter_id,
            directory_id,
        } => {
            let request = RemoveRaftVoterRequest {
                cluster_id: None,
                voter_id: *voter_id,
                voter_directory_id: *directory_id,
            };
            remove_voter(&mut stream, &request)
        }
    };
    match outcome {
        Ok((code, _)) if code.is_none() => Attempt::Done,
        Ok((code, message)) => {
            let why = describe_error(code, message.as_deref());
            let retriable = code == ErrorCode::REQUEST_TIMED_OUT
                || code == ErrorCode::NOT_LEADER_OR_FOLLOWER
                || code == ErrorCode::NOT_CONTROLLER;
            if retriable {
                Attempt::Retry(why)
            } else {
                Attempt::Refused(why)
            }
        }
        Err(Failure::Unreachable(why)) => Attempt::Retry(format!("{active}: {why}")),
        Err(Failure::Refused(why)) => Attempt::Refused(format!("{active}: {why}")),
    }
}

type Answer = (ErrorCode, Option<String>);

/// AddRaftVoter at the highest version both speak (v1 carries AckWhenCommitted = true, what
/// v0 means anyway, as Kafka's admin client sends it).
fn add_voter(
    stream: &mut std::net::TcpStream,
    request: &AddRaftVoterRequest,
) -> Result<Answer, Failure> {
    let version = negotiate(stream, API_KEY_ADD_RAFT_VOTER, "AddRaftVoter", 1)?;
    let wire = convert::add_raft_voter::request_to_kafka(request, version);
    let response = exchange(
        stream,
        2,
        API_KEY_ADD_RAFT_VOTER,
        version,
        KafkaRequest::AddRaftVoter(wire),
    )?;
    let KafkaResponse::AddRaftVoter(response) = response else {
        return Err(Failure::Refused("unexpected answer to AddRaftVoter".into()));
    };
    let r = convert::add_raft_voter::response_from_kafka(response, version);
    Ok((r.error_code, r.error_message))
}

fn remove_voter(
    stream: &mut std::net::TcpStream,
    request: &RemoveRaftVoterRequest,
) -> Result<Answer, Failure> {
    let version = negotiate(stream, API_KEY_REMOVE_RAFT_VOTER, "RemoveRaftVoter", 0)?;
    let wire = convert::remove_raft_voter::request_to_kafka(request, version);
    let response = exchange(
        stream,
        2,
        API_KEY_REMOVE_RAFT_VOTER,
        version,
        KafkaRequest::RemoveRaftVoter(wire),
    )?;
    let KafkaResponse::RemoveRaftVoter(response) = response else {
        return Err(Failure::Refused(
            "unexpected answer to RemoveRaftVoter".into(),
        ));
    };
    let r = convert::remove_raft_voter::response_from_kafka(response, version);
    Ok((r.error_code, r.error_message))
}

/// Kafka's rendering of an endpoint list: `NAME://host:port, ...`, IPv6 hosts in brackets.
pub fn endpoints_text(endpoints: &[LeaderEndpoint]) -> String {
    endpoints
        .iter()
        .map(|e| format!("{}://{}", e.name, join_host_port(&e.host, e.port)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use kraft_net::codec::{
        api_versions_response, decode_request, encode_response_frame, error_response,
    };
    use std::io::{Read, Write};
    use std::net::TcpListener;

    const UNKNOWN_SERVER_ERROR: i16 = -1;

    /// A node that answers ApiVersions as ours does and every other request with
    /// UNKNOWN_SERVER_ERROR, as Kafka's TestRaftServer answers DescribeCluster; serves
    /// `connections` connections, then stops.
    fn refusing_node(connections: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(connections) {
                let Ok(mut stream) = stream else { return };
                // Bounded: each pass answers one frame; the client sends at most a few.
                for _ in 0..8 {
                    let mut size = [0u8; 4];
                    if stream.read_exact(&mut size).is_err() {
                        break;
                    }
                    let mut frame = vec![0u8; i32::from_be_bytes(size) as usize];
                    stream.read_exact(&mut frame).unwrap();
                    let request = decode_request(Bytes::from(frame)).unwrap();
                    let h = request.header;
                    let body = match request.body {
                        KafkaRequest::ApiVersions(_) => {
                            KafkaResponse::ApiVersions(api_versions_response(0))
                        }
                        _ => error_response(h.api_key, UNKNOWN_SERVER_ERROR).unwrap(),
                    };
                    let out = encode_response_frame(h.correlation_id, h.api_version, &body);
                    stream.write_all(&out.unwrap()).unwrap();
                }
            }
        });
        address
    }

    fn removal() -> Change {
        Change::Remove {
            voter_id: 1,
            directory_id: Uuid::from_parts(0, 1),
        }
    }

    #[test]
    fn a_node_refusing_describe_cluster_fails_the_change_at_once() {
        let node = refusing_node(1);
        let started = Instant::now();
        let outcome = make_change(&[node], &removal(), 30_000);
        let Err(ChangeError::Refused(why)) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(why.contains("UNKNOWN_SERVER_ERROR"), "{why}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "retried a refusal"
        );
    }

    #[test]
    fn an_unreachable_node_is_retried_until_the_deadline() {
        // Bound then dropped: nothing listens there any more.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let started = Instant::now();
        let outcome = make_change(&[format!("127.0.0.1:{port}")], &removal(), 700);
        let Err(ChangeError::NoAnswer(why)) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(why.contains("no answer within 700 ms"), "{why}");
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_millis(700) && elapsed < Duration::from_secs(10),
            "{elapsed:?}"
        );
    }

    #[test]
    fn endpoints_are_written_as_kafka_writes_them() {
        let e = |name: &str, host: &str, port| LeaderEndpoint {
            name: name.into(),
            host: host.into(),
            port,
        };
        assert_eq!(
            endpoints_text(&[e("CONTROLLER", "localhost", 9093), e("B", "::1", 1)]),
            "CONTROLLER://localhost:9093, B://[::1]:1"
        );
    }
}
