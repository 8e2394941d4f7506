//! The leader's log start offset and latest snapshot, which DescribeQuorum does not carry.
//!
//! One Fetch as a non-replica (replica id -1, which Kafka's LeaderState and our engine leave out
//! of replica tracking) from offset 0: every Fetch response carries the leader's
//! LogStartOffset, and a Fetch below the log start is answered with the SnapshotId of the
//! leader's latest snapshot instead of records.

use super::describe::{connect, error_name, exchange, negotiate, Failure};
use kraft_engine::message::{FetchRequest, SnapshotId, Uuid};
use kraft_net::codec::{KafkaRequest, KafkaResponse};
use kraft_net::convert::fetch::{request_to_kafka, response_from_kafka};
use std::time::Duration;

const API_KEY_FETCH: i16 = 1;
/// KRaft names its topic by id from Fetch v13; v17 is the highest whose request we fill in
/// fully (v18 adds the fetcher's high watermark, which a non-replica does not have).
const FETCH_VERSION_MIN: i16 = 13;
const FETCH_VERSION_MAX: i16 = 17;
/// The topic id of `__raft_performance_test` (Kafka's TestRaftServer and our default).
fn topic_id() -> Uuid {
    Uuid::from_parts(0, 2)
}
/// Small: the answer wanted is the partition header; records at offset 0 are not.
const FETCH_MAX_BYTES: i32 = 1;

/// What the leader's Fetch answer says about the start of its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogStart {
    Known {
        log_start_offset: i64,
        /// The SnapshotId the leader sent because offset 0 is below its log start.
        snapshot: Option<SnapshotId>,
    },
    /// The Fetch failed; why.
    Unknown(String),
}

/// Fetches once from `leader` at the leader's epoch; never fails, says why when it did.
pub fn fetch_log_start(leader: &str, leader_epoch: i32, timeout_ms: u64) -> LogStart {
    match try_fetch(leader, leader_epoch, timeout_ms) {
        Ok(known) => known,
        Err(failure) => LogStart::Unknown(failure.why()),
    }
}

fn try_fetch(leader: &str, leader_epoch: i32, timeout_ms: u64) -> Result<LogStart, Failure> {
    assert!(leader_epoch >= 0, "a described quorum has a leader epoch");
    let timeout = Duration::from_millis(timeout_ms.max(1));
    let mut stream = connect(leader, timeout).map_err(Failure::Unreachable)?;
    let version = negotiate(&mut stream, API_KEY_FETCH, "Fetch", FETCH_VERSION_MAX)?;
    if version < FETCH_VERSION_MIN {
        return Err(Failure::Refused(format!(
            "speaks Fetch up to v{version}, KRaft needs v{FETCH_VERSION_MIN}"
        )));
    }
    let request = FetchRequest {
        cluster_id: None,
        replica_id: -1,
        replica_epoch: -1,
        max_wait_ms: 0,
        min_bytes: 0,
        max_bytes: FETCH_MAX_BYTES,
        topic_id: topic_id(),
        partition: 0,
        current_leader_epoch: leader_epoch,
        fetch_offset: 0,
        last_fetched_epoch: 0,
        log_start_offset: -1,
        partition_max_bytes: FETCH_MAX_BYTES,
        replica_directory_id: Uuid::ZERO,
        high_watermark: i64::MAX,
    };
    let wire = request_to_kafka(&request, version);
    let response = exchange(
        &mut stream,
        2,
        API_KEY_FETCH,
        version,
        KafkaRequest::Fetch(wire),
    )?;
    let KafkaResponse::Fetch(response) = response else {
        return Err(Failure::Refused("unexpected answer to Fetch".into()));
    };
    let response = response_from_kafka(response, version)
        .map_err(|e| Failure::Refused(format!("malformed Fetch answer: {e}")))?;
    for code in [response.error_code, response.partition_error_code] {
        if !code.is_none() {
            return Err(Failure::Refused(format!(
                "answered Fetch with {}",
                error_name(code.0)
            )));
        }
    }
    let snapshot = (response.snapshot_id.epoch >= 0 && response.snapshot_id.end_offset >= 0)
        .then_some(response.snapshot_id);
    Ok(LogStart::Known {
        log_start_offset: response.log_start_offset,
        snapshot,
    })
}
