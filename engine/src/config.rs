//! Static configuration of one Raft node. The runtime maps kraft-config's server config onto it.

use crate::error::ConfigError;
use crate::message::{LeaderEndpoint, Uuid};

/// A static voter (`controller.quorum.voters` entry `id@host:port`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voter {
    pub id: i32,
    pub host: String,
    pub port: u16,
}

/// Bootstrap servers a node may list (each is a peer the core may fetch from).
pub const MAX_BOOTSTRAP_SERVERS: usize = 64;

/// Everything the core needs to know up front. Timings default to Kafka's (spec 2.3).
#[derive(Clone, Debug)]
pub struct RaftConfig {
    /// `node.id`.
    pub node_id: i32,
    /// This node's log directory id (`Uuid::ZERO` with static voters).
    pub directory_id: Uuid,
    /// The static voter set (`controller.quorum.voters`, kraft.version 0); the node is an
    /// observer when its id is not in it. Empty: a dynamic quorum (KIP-853), whose voter set comes
    /// from the control entries of `RestoredState::kraft_control` and the log.
    pub voters: Vec<Voter>,
    /// `controller.quorum.bootstrap.servers` (host, port): with no known leader an observer asks
    /// them (as ids -2, -3, ... in order, Kafka's numbering) who leads.
    pub bootstrap_servers: Vec<(String, u16)>,
    /// `controller.quorum.auto.join.enable`: an observer that has caught up adds itself as a voter.
    pub auto_join: bool,
    /// This node's Raft listener(s) as advertised: what it puts into AddRaftVoter and
    /// UpdateRaftVoter and what it compares with its entry in the voter set.
    pub local_listeners: Vec<LeaderEndpoint>,
    /// First of `controller.listener.names`: the name put into `LeaderEndpoints`.
    pub listener_name: String,
    /// Cluster id; the test server uses the zero Uuid string `AAAAAAAAAAAAAAAAAAAAAA`.
    pub cluster_id: String,
    pub topic_name: String,
    pub topic_id: Uuid,
    pub partition: i32,
    /// `controller.quorum.election.timeout.ms`.
    pub election_timeout_ms: u64,
    /// `controller.quorum.fetch.timeout.ms`.
    pub fetch_timeout_ms: u64,
    /// `controller.quorum.election.backoff.max.ms`.
    pub election_backoff_max_ms: u64,
    /// `controller.quorum.append.linger.ms`.
    pub append_linger_ms: u64,
    /// `controller.quorum.request.timeout.ms`.
    pub request_timeout_ms: u64,
    /// `controller.quorum.retry.backoff.ms`.
    pub retry_backoff_ms: u64,
    /// Largest batch the accumulator builds and the largest fetch (8 MiB in Kafka).
    pub max_batch_size_bytes: usize,
    /// `controller.quorum.fetch.snapshot.max.bytes`: the MaxBytes of this node's FetchSnapshot
    /// requests (1 MiB in Kafka).
    pub fetch_snapshot_max_bytes: u32,
    /// Fetch `MaxWaitMs` this node sends as a follower (500 in Kafka; keep below the request timeout).
    pub fetch_max_wait_ms: u64,
    /// Completed batches the accumulator may hold before `append` refuses (10 in Kafka).
    pub max_queued_batches: usize,
    /// Use pre-vote (KIP-996, Vote v2) before a real election.
    pub pre_vote: bool,
    /// How long a graceful shutdown waits for EndQuorumEpoch acknowledgements.
    pub graceful_shutdown_timeout_ms: u64,
}

impl RaftConfig {
    pub const DEFAULT_CLUSTER_ID: &'static str = "AAAAAAAAAAAAAAAAAAAAAA";
    pub const PERF_TOPIC_NAME: &'static str = "__raft_performance_test";

    /// A configuration for the performance test topic with Kafka's default timings.
    pub fn new(node_id: i32, voters: Vec<Voter>) -> RaftConfig {
        RaftConfig {
            node_id,
            directory_id: Uuid::ZERO,
            local_listeners: voters
                .iter()
                .filter(|v| v.id == node_id)
                .map(|v| LeaderEndpoint {
                    name: "CONTROLLER".to_string(),
                    host: v.host.clone(),
                    port: v.port,
                })
                .collect(),
            voters,
            bootstrap_servers: Vec::new(),
            auto_join: false,
            listener_name: "CONTROLLER".to_string(),
            cluster_id: Self::DEFAULT_CLUSTER_ID.to_string(),
            topic_name: Self::PERF_TOPIC_NAME.to_string(),
            topic_id: Uuid::from_parts(0, 2),
            partition: 0,
            election_timeout_ms: 1000,
            fetch_timeout_ms: 2000,
            election_backoff_max_ms: 1000,
            append_linger_ms: 25,
            request_timeout_ms: 2000,
            retry_backoff_ms: 20,
            max_batch_size_bytes: 8 * 1024 * 1024,
            fetch_snapshot_max_bytes: 1 << 20,
            fetch_max_wait_ms: 500,
            max_queued_batches: 10,
            pre_vote: true,
            graceful_shutdown_timeout_ms: 5000,
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.node_id < 0 {
            return Err(ConfigError::new(format!(
                "node id {} is negative",
                self.node_id
            )));
        }
        for (i, voter) in self.voters.iter().enumerate() {
            if voter.id < 0 {
                return Err(ConfigError::new(format!(
                    "voter id {} is negative",
                    voter.id
                )));
            }
            if self.voters[..i].iter().any(|v| v.id == voter.id) {
                return Err(ConfigError::new(format!(
                    "voter id {} is listed twice",
                    voter.id
                )));
            }
        }
        self.validate_dynamic()?;
        let timings = [
            ("election timeout", self.election_timeout_ms),
            ("fetch timeout", self.fetch_timeout_ms),
            ("request timeout", self.request_timeout_ms),
        ];
        for (name, value) in timings {
            if value == 0 {
                return Err(ConfigError::new(format!("{name} must be positive")));
            }
        }
        if self.fetch_max_wait_ms > i32::MAX as u64 {
            return Err(ConfigError::new(format!(
                "fetch max wait {} ms does not fit Fetch's int32 MaxWaitMs",
                self.fetch_max_wait_ms
            )));
        }
        if self.fetch_max_wait_ms >= self.request_timeout_ms {
            return Err(ConfigError::new(format!(
                "fetch max wait {} ms must be below the request timeout {} ms",
                self.fetch_max_wait_ms, self.request_timeout_ms
            )));
        }
        if self.max_batch_size_bytes < 1024 || self.max_batch_size_bytes > i32::MAX as usize {
            return Err(ConfigError::new(format!(
                "max batch size {} bytes is out of range",
                self.max_batch_size_bytes
            )));
        }
        if self.fetch_snapshot_max_bytes == 0 || self.fetch_snapshot_max_bytes > i32::MAX as u32 {
            return Err(ConfigError::new(format!(
                "fetch snapshot max bytes {} is out of range 1..=2147483647",
                self.fetch_snapshot_max_bytes
            )));
        }
        if self.max_queued_batches == 0 {
            return Err(ConfigError::new(
                "max queued batches must be positive".to_string(),
            ));
        }
        Ok(())
    }

    /// The dynamic-quorum keys: bounded bootstrap servers, an advertised listener to put into
    /// the voter set, auto-join only without static voters.
    fn validate_dynamic(&self) -> Result<(), ConfigError> {
        if self.bootstrap_servers.len() > MAX_BOOTSTRAP_SERVERS {
            return Err(ConfigError::new(format!(
                "{} bootstrap servers, at most {MAX_BOOTSTRAP_SERVERS}",
                self.bootstrap_servers.len()
            )));
        }
        if self.voters.is_empty()
            && !self
                .local_listeners
                .iter()
                .any(|l| l.name == self.listener_name)
        {
            return Err(ConfigError::new(format!(
                "a dynamic quorum (no static voters) needs this node's advertised {} listener",
                self.listener_name
            )));
        }
        if self.auto_join && !self.voters.is_empty() {
            return Err(ConfigError::new(
                "auto join needs a dynamic quorum (no static voters)".to_string(),
            ));
        }
        Ok(())
    }

    /// Whether `id` is a static voter (`controller.quorum.voters`).
    pub fn is_static_voter(&self, id: i32) -> bool {
        self.voters.iter().any(|v| v.id == id)
    }

    /// A dynamic quorum (KIP-853): no static voters.
    pub fn is_dynamic(&self) -> bool {
        self.voters.is_empty()
    }
}
