//! The gate against a real core: a voter persists its vote for a candidate, then answers it; the
//! answer does not run before that write is durable.

use super::*;
use kraft_engine::message::{Request, Response, VoteRequest};
use kraft_engine::{Input, RaftConfig, RestoredState, Uuid, Voter};

fn vote_request_from_2(config: &RaftConfig) -> Input {
    Input::Request {
        request_id: 1,
        request: Request::Vote(VoteRequest {
            cluster_id: Some(config.cluster_id.clone()),
            voter_id: 1,
            topic_name: "__raft_performance_test".to_string(),
            partition: 0,
            candidate_epoch: 1,
            candidate_id: 2,
            candidate_directory_id: Uuid::ZERO,
            voter_directory_id: Uuid::ZERO,
            last_offset_epoch: 0,
            last_offset: 0,
            pre_vote: false,
        }),
    }
}

#[derive(Default)]
struct RecordingStore {
    begun: Vec<ElectionState>,
}

impl ElectionStore for RecordingStore {
    fn begin_write(&mut self, state: &ElectionState) {
        self.begun.push(state.clone());
    }
}

fn three_voters() -> RaftConfig {
    let voters = (1..=3)
        .map(|id| Voter {
            id,
            host: "127.0.0.1".to_string(),
            port: 9000 + id as u16,
        })
        .collect();
    RaftConfig::new(1, voters)
}

fn three_voter_node() -> RaftNode {
    let restored = RestoredState {
        election: ElectionState::initial(),
        log_start_offset: 0,
        log_end_offset: 0,
        flushed_end_offset: 0,
        epoch_entries: Vec::new(),
        latest_snapshot: None,
        kraft_control: Vec::new(),
    };
    RaftNode::new(three_voters(), restored, 0, 7).expect("valid node")
}

/// Runs outputs until the gate holds or the core has none.
fn drain(gate: &mut OutputGate, core: &mut RaftNode, store: &mut RecordingStore) -> Vec<Output> {
    let mut outputs = Vec::new();
    for _ in 0..1_000 {
        match gate.next_output(core, store) {
            Some(output) => outputs.push(output),
            None => break,
        }
    }
    outputs
}

#[test]
fn outputs_after_a_persist_wait_until_it_is_durable() {
    let (mut core, mut gate, mut store) = (
        three_voter_node(),
        OutputGate::new(),
        RecordingStore::default(),
    );
    // Startup persists the initial state: held until durable.
    let startup = drain(&mut gate, &mut core, &mut store);
    assert!(matches!(
        startup.last(),
        Some(Output::PersistElectionState(_))
    ));
    assert!(gate.must_wait());
    gate.on_durable();
    drain(&mut gate, &mut core, &mut store);
    assert!(!gate.must_wait());
    core.step(1, vote_request_from_2(&three_voters()));
    // Each round runs until the gate holds: a persist, if any, is the round's last output.
    let mut vote_durable = false;
    let mut granted_seen = false;
    for _ in 0..10 {
        let round = drain(&mut gate, &mut core, &mut store);
        for (at, output) in round.iter().enumerate() {
            match output {
                Output::PersistElectionState(state) => {
                    assert_eq!(at, round.len() - 1, "held after a persist: {round:?}");
                    assert_eq!(store.begun.last(), Some(state), "the write was begun");
                    assert!(gate.must_wait());
                    assert!(gate.next_output(&mut core, &mut store).is_none(), "held");
                }
                Output::Respond {
                    response: Response::Vote(vote),
                    ..
                } if vote.vote_granted => {
                    assert!(vote_durable, "vote granted before durable: {round:?}");
                    granted_seen = true;
                }
                _ => {}
            }
        }
        if !gate.must_wait() {
            break;
        }
        vote_durable = store.begun.last().and_then(|s| s.voted_key).map(|k| k.id) == Some(2);
        gate.on_durable();
    }
    assert!(granted_seen, "the vote was granted");
    assert_eq!(gate.writes_in_flight(), 0);
}

#[test]
#[should_panic(expected = "durable without a write in flight")]
fn durable_without_a_write_is_a_driver_bug() {
    OutputGate::new().on_durable();
}
