//! Driving one node by hand: feed requests and responses, inspect outputs.

use kraft_engine::message::*;
use kraft_engine::{ElectionState, Input, Output, RaftConfig, RaftNode, RestoredState, StateName};

use super::config;

pub const CLUSTER_ID: &str = "AAAAAAAAAAAAAAAAAAAAAA";
pub const TOPIC: &str = "__raft_performance_test";

pub struct Solo {
    pub node: RaftNode,
    pub now: u64,
    next_request_id: u64,
    /// Correlation id of the last request sent to each node (as a runtime's connection keeps).
    sent_ids: std::collections::BTreeMap<i32, u64>,
}

impl Solo {
    pub fn new(cfg: RaftConfig, restored: RestoredState) -> (Solo, Vec<Output>) {
        let node = RaftNode::new(cfg, restored, 1_000, 42).expect("valid");
        let mut solo = Solo {
            node,
            now: 1_000,
            next_request_id: 1,
            sent_ids: std::collections::BTreeMap::new(),
        };
        let out = solo.drain();
        (solo, out)
    }

    /// Node `id` of voters `voters`, fresh disk, standard elections (no pre-vote) unless asked.
    pub fn fresh(id: i32, voters: &[i32]) -> Solo {
        let mut cfg = config(id, voters);
        cfg.pre_vote = false;
        Solo::new(cfg, RestoredState::empty()).0
    }

    pub fn restored(id: i32, voters: &[i32], election: ElectionState) -> Solo {
        let mut cfg = config(id, voters);
        cfg.pre_vote = false;
        let mut r = RestoredState::empty();
        r.election = election;
        Solo::new(cfg, r).0
    }

    /// Node `id` restarted in `epoch` knowing `leader_id` as its leader (no vote cast).
    pub fn restored_with_leader(id: i32, voters: &[i32], epoch: i32, leader_id: i32) -> Solo {
        let election = ElectionState {
            epoch,
            leader_id: Some(leader_id),
            voted_key: None,
        };
        Solo::restored(id, voters, election)
    }

    pub fn drain(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        while let Some(o) = self.node.poll_output() {
            if let Output::Send {
                to, correlation_id, ..
            } = &o
            {
                self.sent_ids.insert(*to, *correlation_id);
            }
            out.push(o);
        }
        out
    }

    /// The correlation id of the last request sent to `to` (0, which the core never uses, when
    /// none was sent): what the answer to that request echoes.
    pub fn in_flight_id(&self, to: i32) -> u64 {
        self.sent_ids.get(&to).copied().unwrap_or(0)
    }

    pub fn step(&mut self, input: Input) -> Vec<Output> {
        self.node.step(self.now, input);
        self.drain()
    }

    pub fn tick_to(&mut self, now: u64) -> Vec<Output> {
        self.now = self.now.max(now);
        self.node.tick(self.now);
        self.drain()
    }

    /// Advances to the node's next deadline and ticks.
    pub fn tick_next(&mut self) -> Vec<Output> {
        let d = self.node.next_deadline_ms();
        assert!(d < u64::MAX, "no deadline");
        self.tick_to(d)
    }

    /// Sends `request`; returns all outputs and the response if answered at once.
    pub fn request(&mut self, request: Request) -> (Option<Response>, Vec<Output>) {
        let id = self.next_request_id;
        self.next_request_id += 1;
        let out = self.step(Input::Request {
            request_id: id,
            request,
        });
        (respond_to(&out, id), out)
    }

    pub fn last_request_id(&self) -> u64 {
        self.next_request_id - 1
    }

    pub fn state(&self) -> StateName {
        self.node.status().state
    }

    pub fn epoch(&self) -> i32 {
        self.node.status().epoch
    }

    /// Makes a fresh node of `voters` (pre-vote off) the leader of epoch 1 with votes from
    /// the other voters, and flushes the LeaderChange record.
    pub fn leader(id: i32, voters: &[i32]) -> Solo {
        let mut cfg = config(id, voters);
        cfg.pre_vote = false;
        Solo::leader_with(cfg)
    }

    /// [`Solo::leader`] with a configuration of the caller's (pre-vote as it says).
    pub fn leader_with(cfg: RaftConfig) -> Solo {
        let id = cfg.node_id;
        let voters: Vec<i32> = cfg.voters.iter().map(|v| v.id).collect();
        let mut s = Solo::new(cfg, RestoredState::empty()).0;
        if s.state() != StateName::Leader {
            let out = s.tick_next();
            assert_eq!(s.state(), StateName::Candidate, "{out:?}");
        }
        for &v in voters.iter().filter(|&&v| v != id) {
            s.step(Input::Response {
                from: v,
                correlation_id: s.in_flight_id(v),
                response: Response::Vote(vote_response(s.epoch(), -1, true)),
            });
        }
        assert_eq!(s.state(), StateName::Leader);
        s.step(Input::LogFlushed {
            flushed_end_offset: s.node.status().log_end_offset,
            generation: s.node.status().log_generation,
        });
        s
    }
}

pub fn respond_to(out: &[Output], request_id: u64) -> Option<Response> {
    out.iter().find_map(|o| match o {
        Output::Respond {
            request_id: id,
            response,
        } if *id == request_id => Some(response.clone()),
        _ => None,
    })
}

pub fn sent(out: &[Output]) -> Vec<(i32, Request)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send { to, request, .. } => Some((*to, request.clone())),
            _ => None,
        })
        .collect()
}

/// The Fetch requests among the outputs, in order.
pub fn sent_fetches(out: &[Output]) -> Vec<FetchRequest> {
    sent(out)
        .into_iter()
        .filter_map(|(_, r)| match r {
            Request::Fetch(f) => Some(f),
            _ => None,
        })
        .collect()
}

pub fn persisted(out: &[Output]) -> Vec<ElectionState> {
    out.iter()
        .filter_map(|o| match o {
            Output::PersistElectionState(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

pub fn vote_request(candidate: i32, epoch: i32, last_epoch: i32, last_offset: i64) -> VoteRequest {
    VoteRequest {
        cluster_id: Some(CLUSTER_ID.to_string()),
        voter_id: -1,
        topic_name: TOPIC.to_string(),
        partition: 0,
        candidate_epoch: epoch,
        candidate_id: candidate,
        candidate_directory_id: Uuid::ZERO,
        voter_directory_id: Uuid::ZERO,
        last_offset_epoch: last_epoch,
        last_offset,
        pre_vote: false,
    }
}

pub fn vote_response(epoch: i32, leader: i32, granted: bool) -> VoteResponse {
    VoteResponse {
        error_code: ErrorCode::NONE,
        topic_name: TOPIC.to_string(),
        partition: 0,
        partition_error_code: ErrorCode::NONE,
        leader_id: leader,
        leader_epoch: epoch,
        vote_granted: granted,
        node_endpoints: Vec::new(),
    }
}

pub fn begin_request(leader: i32, epoch: i32) -> BeginQuorumEpochRequest {
    BeginQuorumEpochRequest {
        cluster_id: Some(CLUSTER_ID.to_string()),
        voter_id: -1,
        topic_name: TOPIC.to_string(),
        partition: 0,
        voter_directory_id: Uuid::ZERO,
        leader_id: leader,
        leader_epoch: epoch,
        leader_endpoints: Vec::new(),
    }
}

pub fn end_request(leader: i32, epoch: i32, successors: Vec<i32>) -> EndQuorumEpochRequest {
    EndQuorumEpochRequest {
        cluster_id: Some(CLUSTER_ID.to_string()),
        topic_name: TOPIC.to_string(),
        partition: 0,
        leader_id: leader,
        leader_epoch: epoch,
        preferred_successors: successors,
        preferred_candidates: Vec::new(),
        leader_endpoints: Vec::new(),
    }
}

pub fn fetch_request(replica: i32, epoch: i32, offset: i64, last_epoch: i32) -> FetchRequest {
    FetchRequest {
        cluster_id: Some(CLUSTER_ID.to_string()),
        replica_id: replica,
        replica_epoch: -1,
        max_wait_ms: 500,
        min_bytes: 0,
        max_bytes: 8 << 20,
        topic_id: Uuid::from_parts(0, 2),
        partition: 0,
        current_leader_epoch: epoch,
        fetch_offset: offset,
        last_fetched_epoch: last_epoch,
        log_start_offset: -1,
        partition_max_bytes: 0,
        replica_directory_id: Uuid::ZERO,
        high_watermark: i64::MAX,
    }
}

pub fn fetch_response(leader: i32, epoch: i32, hw: i64, records: Records) -> FetchResponse {
    FetchResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::NONE,
        topic_id: Uuid::from_parts(0, 2),
        partition: 0,
        partition_error_code: ErrorCode::NONE,
        high_watermark: hw,
        log_start_offset: 0,
        diverging_epoch: EpochEndOffset::NONE,
        current_leader: LeaderIdAndEpoch {
            leader_id: leader,
            leader_epoch: epoch,
        },
        snapshot_id: SnapshotId::NONE,
        records,
        node_endpoints: Vec::new(),
    }
}

pub fn as_vote(r: Option<Response>) -> VoteResponse {
    match r {
        Some(Response::Vote(v)) => v,
        other => panic!("expected a Vote response, got {other:?}"),
    }
}

pub fn as_fetch(r: Option<Response>) -> FetchResponse {
    match r {
        Some(Response::Fetch(v)) => v,
        other => panic!("expected a Fetch response, got {other:?}"),
    }
}

pub fn as_begin(r: Option<Response>) -> BeginQuorumEpochResponse {
    match r {
        Some(Response::BeginQuorumEpoch(v)) => v,
        other => panic!("expected a BeginQuorumEpoch response, got {other:?}"),
    }
}

pub fn as_end(r: Option<Response>) -> EndQuorumEpochResponse {
    match r {
        Some(Response::EndQuorumEpoch(v)) => v,
        other => panic!("expected an EndQuorumEpoch response, got {other:?}"),
    }
}

/// One data batch of `count` records at `base_offset` in `epoch`.
pub fn data_batch(base_offset: i64, epoch: i32, count: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut b = kraft_records::BatchBuilder::new(&mut buf, base_offset, epoch, 0);
    for i in 0..count {
        b.append_value(&[i as u8; 8]);
    }
    b.finish();
    buf
}

/// Follower 1 of leader 2 in epoch 4 with epochs 2 in [0, 3) and 3 in [3, 6), all flushed.
pub fn follower_with_divergent_log() -> Solo {
    let mut cfg = config(1, &[1, 2, 3]);
    cfg.pre_vote = false;
    let restored = RestoredState {
        election: ElectionState {
            epoch: 4,
            leader_id: Some(2),
            voted_key: None,
        },
        log_start_offset: 0,
        log_end_offset: 6,
        flushed_end_offset: 6,
        epoch_entries: vec![
            kraft_engine::EpochEntry {
                epoch: 2,
                start_offset: 0,
            },
            kraft_engine::EpochEntry {
                epoch: 3,
                start_offset: 3,
            },
        ],
        latest_snapshot: None,
        kraft_control: Vec::new(),
    };
    Solo::new(cfg, restored).0
}

/// Follower 1 of leader 2 in epoch 4, empty log, request timeout 1 s, retry backoff 20 ms.
pub fn follower_with_short_timeout() -> (Solo, Vec<Output>) {
    let mut cfg = config(1, &[1, 2, 3]);
    cfg.request_timeout_ms = 1_000;
    cfg.pre_vote = false;
    let restored = RestoredState {
        election: ElectionState {
            epoch: 4,
            leader_id: Some(2),
            voted_key: None,
        },
        ..RestoredState::empty()
    };
    Solo::new(cfg, restored)
}
