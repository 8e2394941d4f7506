//! Startup (spec 2.2), listeners (spec 5.3, KAFKA-16286 regression), graceful shutdown (2.9),
//! timers (2.3) and determinism.

mod support;

use kraft_engine::message::*;
use kraft_engine::{
    AppendError, ElectionState, EpochEntry, Input, LeaderAndEpoch, ListenerEvent, Output, RaftNode,
    RestoreError, RestoredState, StateName,
};
use support::solo::*;

fn election(epoch: i32, leader: Option<i32>, voted: Option<i32>) -> ElectionState {
    ElectionState {
        epoch,
        leader_id: leader,
        voted_key: voted.map(|id| ReplicaKey {
            id,
            directory_id: Uuid::ZERO,
        }),
    }
}

fn leader_changes(out: &[Output], listener: u64) -> Vec<LeaderAndEpoch> {
    out.iter()
        .filter_map(|o| match o {
            Output::Listener {
                id,
                event: ListenerEvent::LeaderChange(le),
            } if *id == listener => Some(*le),
            _ => None,
        })
        .collect()
}

#[test]
fn startup_writes_the_initial_state_back() {
    let (s, out) = Solo::new(support::config(1, &[1, 2, 3]), RestoredState::empty());
    assert_eq!(persisted(&out), vec![election(0, None, None)]);
    assert_eq!(s.state(), StateName::Unattached);
    // First election between T and 2T (T = 1000 ms).
    let d = s.node.next_deadline_ms();
    assert!((s.now + 1_000..s.now + 2_000).contains(&d), "{d}");
}

#[test]
fn startup_stored_epoch_behind_log_epoch_becomes_unattached_in_log_epoch() {
    let mut restored = RestoredState::empty();
    restored.election = election(2, Some(2), None);
    restored.log_end_offset = 10;
    restored.flushed_end_offset = 10;
    restored.epoch_entries = vec![EpochEntry {
        epoch: 5,
        start_offset: 0,
    }];
    let (s, out) = Solo::new(support::config(1, &[1, 2, 3]), restored);
    assert_eq!(s.state(), StateName::Unattached);
    assert_eq!(s.epoch(), 5);
    assert_eq!(persisted(&out), vec![election(5, None, None)]);
}

/// A restarted leader must not lead or vote in its old epoch (it may have lost unflushed
/// records): it starts Resigned, tells the voters, and later elects in a higher epoch.
#[test]
fn startup_as_former_leader_is_resigned() {
    let mut s = Solo::restored(1, &[1, 2, 3], election(3, Some(1), None));
    assert_eq!(s.state(), StateName::Resigned);
    assert!(!as_vote(s.request(Request::Vote(vote_request(2, 3, 0, 0))).0).vote_granted);
    s.tick_next();
    assert_eq!(
        s.state(),
        StateName::Candidate,
        "pre-vote off: Candidate(e+1)"
    );
    assert_eq!(s.epoch(), 4);
}

#[test]
fn startup_as_former_leader_sends_end_quorum_epoch() {
    let (_, out) = Solo::new(
        support::config(1, &[1, 2, 3]),
        RestoredState {
            election: election(3, Some(1), None),
            ..RestoredState::empty()
        },
    );
    let ends: Vec<i32> = sent(&out)
        .into_iter()
        .filter(|(_, r)| matches!(r, Request::EndQuorumEpoch(_)))
        .map(|(to, _)| to)
        .collect();
    assert_eq!(ends, vec![2, 3]);
}

#[test]
fn startup_voted_for_self_is_candidate_asking_again() {
    let (s, out) = Solo::new(
        support::config(1, &[1, 2, 3]),
        RestoredState {
            election: election(3, None, Some(1)),
            ..RestoredState::empty()
        },
    );
    assert_eq!(s.state(), StateName::Candidate);
    assert_eq!(s.epoch(), 3);
    let votes = sent(&out)
        .into_iter()
        .filter(|(_, r)| matches!(r, Request::Vote(v) if v.candidate_epoch == 3 && !v.pre_vote))
        .count();
    assert_eq!(votes, 2);
}

#[test]
fn startup_with_leader_follows_it_or_waits_without_endpoint() {
    let s = Solo::restored(1, &[1, 2, 3], election(3, Some(2), None));
    assert_eq!(s.state(), StateName::Follower);
    let s = Solo::restored(1, &[1, 2, 3], election(3, Some(9), None));
    assert_eq!(s.state(), StateName::Unattached);
    assert_eq!(s.node.status().leader_id, Some(9));
}

#[test]
fn invalid_config_or_restored_state_is_an_error_not_a_panic() {
    let mut cfg = support::config(1, &[1, 2, 2]);
    assert!(matches!(
        RaftNode::new(cfg.clone(), RestoredState::empty(), 0, 1),
        Err(RestoreError::Config(_))
    ));
    cfg = support::config(-1, &[1]);
    assert!(RaftNode::new(cfg, RestoredState::empty(), 0, 1).is_err());
    let mut cfg = support::config(1, &[1]);
    cfg.fetch_max_wait_ms = 5_000;
    assert!(RaftNode::new(cfg, RestoredState::empty(), 0, 1).is_err());
    let mut restored = RestoredState::empty();
    restored.log_start_offset = 10;
    restored.log_end_offset = 5;
    let err = RaftNode::new(support::config(1, &[1]), restored, 0, 1)
        .err()
        .expect("inconsistent");
    assert!(err.to_string().contains("inconsistent"), "{err}");
}

/// KAFKA-16286 regression: a listener registered while the node is already a follower learns
/// the current leader right away (Kafka once notified only on state transitions).
#[test]
fn listener_registered_on_a_follower_gets_the_current_leader_at_once() {
    let mut s = Solo::restored(1, &[1, 2, 3], election(4, Some(2), None));
    assert_eq!(s.state(), StateName::Follower);
    let out = s.step(Input::RegisterListener(11));
    assert_eq!(
        leader_changes(&out, 11),
        vec![LeaderAndEpoch {
            leader_id: Some(2),
            epoch: 4
        }]
    );
    // Registering again counts once and fires nothing new.
    let out = s.step(Input::RegisterListener(11));
    assert!(leader_changes(&out, 11).is_empty());
    // A second, later listener gets it too, and the first one is not told twice.
    let out = s.step(Input::RegisterListener(12));
    assert_eq!(leader_changes(&out, 12).len(), 1);
    assert!(leader_changes(&out, 11).is_empty());
    // A higher epoch without leader fires (leader unknown), then the leader once known.
    let out = s.step(Input::Request {
        request_id: 99,
        request: Request::Vote(vote_request(3, 5, 0, 0)),
    });
    assert_eq!(
        leader_changes(&out, 11),
        vec![LeaderAndEpoch {
            leader_id: None,
            epoch: 5
        }]
    );
    let out = s.step(Input::Request {
        request_id: 100,
        request: Request::BeginQuorumEpoch(begin_request(3, 5)),
    });
    assert_eq!(
        leader_changes(&out, 11),
        vec![LeaderAndEpoch {
            leader_id: Some(3),
            epoch: 5
        }]
    );
    // Unregistered listeners hear nothing more.
    s.step(Input::UnregisterListener(11));
    let out = s.step(Input::Request {
        request_id: 101,
        request: Request::BeginQuorumEpoch(begin_request(2, 6)),
    });
    assert!(leader_changes(&out, 11).is_empty());
    assert_eq!(leader_changes(&out, 12).len(), 1);
}

/// An unattached node in epoch 0 has nothing to report (initial value is (none, 0)).
#[test]
fn listener_on_fresh_node_hears_nothing_until_a_leader_or_epoch_exists() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    let out = s.step(Input::RegisterListener(1));
    assert!(leader_changes(&out, 1).is_empty());
}

/// KAFKA-17333: nothing is fired while Resigned.
#[test]
fn resigned_node_fires_no_leader_change() {
    let mut s = Solo::restored(1, &[1, 2, 3], election(3, Some(1), None));
    let out = s.step(Input::RegisterListener(1));
    assert!(leader_changes(&out, 1).is_empty());
}

/// A listener registered late on a leader first gets the committed prefix from offset 0, then
/// (having caught up past the epoch start) the leader change.
#[test]
fn late_listener_on_leader_gets_commits_then_leadership() {
    let mut s = Solo::leader(1, &[1]);
    assert_eq!(s.node.high_watermark(), Some(1));
    let out = s.step(Input::RegisterListener(5));
    let events: Vec<&ListenerEvent> = out
        .iter()
        .filter_map(|o| match o {
            Output::Listener { id: 5, event } => Some(event),
            _ => None,
        })
        .collect();
    assert_eq!(
        events,
        vec![
            &ListenerEvent::Commit {
                from_offset: 0,
                to_offset_exclusive: 1
            },
            &ListenerEvent::LeaderChange(LeaderAndEpoch {
                leader_id: Some(1),
                epoch: 1
            })
        ]
    );
}

/// Spec 2.9: a leader shutting down resigns, sends EndQuorumEpoch, and completes once another
/// leader is seen (or at the timeout).
#[test]
fn graceful_shutdown_of_a_leader() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    let out = s.step(Input::Shutdown);
    assert_eq!(s.state(), StateName::Resigned);
    assert_eq!(
        sent(&out)
            .iter()
            .filter(|(_, r)| matches!(r, Request::EndQuorumEpoch(_)))
            .count(),
        2
    );
    assert!(!out.iter().any(|o| matches!(o, Output::ShutdownComplete)));
    assert!(matches!(
        s.node.append(s.now, 1, b"x"),
        Err(AppendError::ShuttingDown)
    ));
    let out = s.step(Input::Request {
        request_id: 50,
        request: Request::BeginQuorumEpoch(begin_request(2, 2)),
    });
    assert!(out.iter().any(|o| matches!(o, Output::ShutdownComplete)));
    assert!(s.node.is_shutdown_complete());

    // Nobody takes over: complete at the 5 s timeout.
    let mut s = Solo::leader(1, &[1, 2, 3]);
    s.step(Input::Shutdown);
    let start = s.now;
    let out = s.tick_to(start + 4_999);
    assert!(!out.iter().any(|o| matches!(o, Output::ShutdownComplete)));
    let out = s.tick_to(start + 5_000);
    assert!(out.iter().any(|o| matches!(o, Output::ShutdownComplete)));
}

#[test]
fn follower_shutdown_completes_at_once() {
    let mut s = Solo::restored(1, &[1, 2, 3], election(4, Some(2), None));
    let out = s.step(Input::Shutdown);
    assert!(out.iter().any(|o| matches!(o, Output::ShutdownComplete)));
}

/// The same seed replays exactly (the simulator depends on it).
#[test]
fn same_seed_same_behaviour() {
    let run = |seed: u64| {
        let mut node = RaftNode::new(
            support::config(1, &[1, 2, 3]),
            RestoredState::empty(),
            0,
            seed,
        )
        .unwrap();
        let mut deadlines = Vec::new();
        for _ in 0..5 {
            let d = node.next_deadline_ms();
            deadlines.push(d);
            node.tick(d);
            while node.poll_output().is_some() {}
        }
        deadlines
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
}

/// `resign(epoch)` on a sole voter: it resigns, then wins a later epoch by itself.
#[test]
fn sole_voter_resigns_and_is_elected_again() {
    let mut s = Solo::leader(1, &[1]);
    s.step(Input::Resign { epoch: 1 });
    assert_eq!(s.state(), StateName::Resigned);
    for _ in 0..10 {
        if s.state() == StateName::Leader {
            break;
        }
        s.tick_next();
    }
    assert_eq!(s.state(), StateName::Leader);
    assert!(s.epoch() > 1);
}
