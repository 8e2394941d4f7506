//! Vote (52) handler and election tests. Raft paper §5.2 (leader election, one vote per term),
//! §5.4.1 (election restriction: up-to-date logs), KRaft spec 2.4-2.7.

mod support;

use kraft_engine::message::*;
use kraft_engine::{ElectionState, Input, Output, RequestError, StateName};
use support::solo::*;

fn voted(epoch: i32, id: i32) -> ElectionState {
    ElectionState {
        epoch,
        leader_id: None,
        voted_key: Some(ReplicaKey {
            id,
            directory_id: Uuid::ZERO,
        }),
    }
}

#[test]
fn wrong_cluster_id_is_a_top_level_error() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    let mut r = vote_request(2, 1, 0, 0);
    r.cluster_id = Some("other".to_string());
    let v = as_vote(s.request(Request::Vote(r)).0);
    assert_eq!(v.error_code, ErrorCode::INCONSISTENT_CLUSTER_ID);
    assert_eq!(s.epoch(), 0, "a rejected request changes nothing");
    // A null cluster id is accepted.
    let mut r = vote_request(2, 1, 0, 0);
    r.cluster_id = None;
    let v = as_vote(s.request(Request::Vote(r)).0);
    assert_eq!(v.error_code, ErrorCode::NONE);
}

#[test]
fn wrong_topic_or_partition_is_invalid_request() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    let mut r = vote_request(2, 1, 0, 0);
    r.topic_name = "__cluster_metadata".to_string();
    assert_eq!(
        as_vote(s.request(Request::Vote(r)).0).error_code,
        ErrorCode::INVALID_REQUEST
    );
    let mut r = vote_request(2, 1, 0, 0);
    r.partition = 1;
    assert_eq!(
        as_vote(s.request(Request::Vote(r)).0).error_code,
        ErrorCode::INVALID_REQUEST
    );
}

#[test]
fn bad_fields_are_partition_level_invalid_request() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    let cases = [
        vote_request(-1, 1, 0, 0), // negative candidate id
        vote_request(2, 1, 0, -1), // negative last offset
        vote_request(2, 1, -1, 0), // negative last epoch
        vote_request(2, 1, 1, 10), // last epoch == candidate epoch (standard vote)
        vote_request(2, 1, 2, 10), // last epoch > candidate epoch
    ];
    for r in cases {
        let v = as_vote(s.request(Request::Vote(r.clone())).0);
        assert_eq!(v.error_code, ErrorCode::NONE, "{r:?}");
        assert_eq!(v.partition_error_code, ErrorCode::INVALID_REQUEST, "{r:?}");
        assert!(!v.vote_granted);
    }
    // A pre-vote may carry last epoch == its epoch.
    let mut r = vote_request(2, 1, 1, 10);
    r.pre_vote = true;
    let v = as_vote(s.request(Request::Vote(r)).0);
    assert_eq!(v.partition_error_code, ErrorCode::NONE);
    assert!(v.vote_granted);
}

#[test]
fn stale_epoch_is_fenced() {
    let mut s = Solo::restored(1, &[1, 2, 3], voted(5, 3));
    let v = as_vote(s.request(Request::Vote(vote_request(2, 4, 0, 0))).0);
    assert_eq!(v.partition_error_code, ErrorCode::FENCED_LEADER_EPOCH);
    assert_eq!(v.leader_epoch, 5);
    assert!(!v.vote_granted);
}

#[test]
fn vote_meant_for_another_voter_is_invalid_voter_key() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    let mut r = vote_request(2, 1, 0, 0);
    r.voter_id = 3;
    let v = as_vote(s.request(Request::Vote(r)).0);
    assert_eq!(v.partition_error_code, ErrorCode::INVALID_VOTER_KEY);
    assert!(!v.vote_granted);
    let mut r = vote_request(2, 1, 0, 0);
    r.voter_id = 1;
    assert!(as_vote(s.request(Request::Vote(r)).0).vote_granted);
}

/// §5.2 + spec 2.5: the vote is durable before the granting response, and only one candidate
/// gets it per epoch, also after a restart.
#[test]
fn grant_is_persisted_before_the_response_and_given_once_per_epoch() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    let (resp, out) = s.request(Request::Vote(vote_request(2, 3, 0, 0)));
    let v = as_vote(resp);
    assert!(v.vote_granted);
    assert_eq!(v.leader_epoch, 3);
    let persist_pos = out
        .iter()
        .position(|o| matches!(o, Output::PersistElectionState(e) if e.voted_key.map(|k| k.id) == Some(2)))
        .expect("vote persisted");
    let respond_pos = out
        .iter()
        .position(|o| matches!(o, Output::Respond { .. }))
        .unwrap();
    assert!(persist_pos < respond_pos);
    assert_eq!(persisted(&out).last().unwrap(), &voted(3, 2));
    // Same candidate again: granted (idempotent), nothing new persisted.
    let (resp, out) = s.request(Request::Vote(vote_request(2, 3, 0, 0)));
    assert!(as_vote(resp).vote_granted);
    assert!(persisted(&out).is_empty());
    // Another candidate in the same epoch: refused.
    assert!(!as_vote(s.request(Request::Vote(vote_request(3, 3, 0, 0))).0).vote_granted);
    // After a restart from the persisted vote: still refused for 3, granted for 2.
    let mut s = Solo::restored(1, &[1, 2, 3], voted(3, 2));
    assert!(!as_vote(s.request(Request::Vote(vote_request(3, 3, 0, 0))).0).vote_granted);
    assert!(as_vote(s.request(Request::Vote(vote_request(2, 3, 0, 0))).0).vote_granted);
}

/// §5.4.1: compare the last epoch first, then the end offset.
#[test]
fn vote_needs_an_up_to_date_log_and_a_refusal_still_bumps_the_epoch() {
    let mut s = Solo::leader(1, &[1, 2, 3]); // log: LeaderChange at offset 0, epoch 1
                                             // A higher-epoch vote makes the leader step down to Unattached(epoch) durably first.
    let (resp, out) = s.request(Request::Vote(vote_request(2, 5, 0, 7)));
    let v = as_vote(resp);
    assert!(!v.vote_granted, "last epoch 0 < local last epoch 1");
    assert_eq!(v.leader_epoch, 5);
    assert_eq!(s.state(), StateName::Unattached);
    assert_eq!(persisted(&out)[0].epoch, 5);
    assert_eq!(persisted(&out)[0].voted_key, None);
    // Same last epoch, shorter log: refused; equal: granted.
    assert!(!as_vote(s.request(Request::Vote(vote_request(2, 5, 1, 0))).0).vote_granted);
    assert!(as_vote(s.request(Request::Vote(vote_request(2, 5, 1, 1))).0).vote_granted);
    // Higher last epoch with a shorter log would also have won (epoch first).
    let mut s = Solo::leader(1, &[1, 2, 3]);
    assert!(as_vote(s.request(Request::Vote(vote_request(3, 6, 4, 0))).0).vote_granted);
}

#[test]
fn follower_candidate_and_leader_refuse_standard_votes_in_their_epoch() {
    // Follower of 2 in epoch 4.
    let mut s = Solo::restored_with_leader(1, &[1, 2, 3], 4, 2);
    assert_eq!(s.state(), StateName::Follower);
    assert!(!as_vote(s.request(Request::Vote(vote_request(3, 4, 0, 0))).0).vote_granted);
    // Candidate (voted for itself).
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    s.tick_next();
    assert_eq!(s.state(), StateName::Candidate);
    assert!(!as_vote(s.request(Request::Vote(vote_request(3, 1, 0, 0))).0).vote_granted);
    // Leader.
    let mut s = Solo::leader(1, &[1, 2, 3]);
    assert!(!as_vote(s.request(Request::Vote(vote_request(3, 1, 0, 5))).0).vote_granted);
}

/// Unattached that knows the leader id (no endpoint) does not vote.
#[test]
fn unattached_with_known_leader_refuses() {
    let mut s = Solo::restored(
        1,
        &[1, 2, 3],
        ElectionState {
            epoch: 2,
            leader_id: Some(9), // not a voter: no endpoint known
            voted_key: None,
        },
    );
    assert_eq!(s.state(), StateName::Unattached);
    assert!(!as_vote(s.request(Request::Vote(vote_request(3, 2, 0, 0))).0).vote_granted);
}

/// KIP-996: a pre-vote changes nothing durable; a follower that has fetched refuses it, a
/// leader never grants it.
#[test]
fn pre_vote_grants_are_not_persisted_and_respect_fetch_state() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    let mut r = vote_request(2, 0, 0, 0);
    r.pre_vote = true;
    let (resp, out) = s.request(Request::Vote(r.clone()));
    assert!(as_vote(resp).vote_granted);
    assert!(persisted(&out).is_empty());
    assert_eq!(s.epoch(), 0);
    // It can still grant a real vote afterwards to someone else.
    assert!(as_vote(s.request(Request::Vote(vote_request(3, 1, 0, 0))).0).vote_granted);

    // Follower that has not fetched yet grants; after a successful fetch it refuses.
    let mut s = Solo::restored_with_leader(1, &[1, 2, 3], 4, 2);
    let mut r = vote_request(3, 4, 0, 0);
    r.pre_vote = true;
    assert!(as_vote(s.request(Request::Vote(r.clone())).0).vote_granted);
    // The follower's Fetch (sent at startup) gets a successful answer.
    s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Fetch(fetch_response(2, 4, -1, Records::Empty)),
    });
    assert!(!as_vote(s.request(Request::Vote(r.clone())).0).vote_granted);
    assert_eq!(s.state(), StateName::Follower);

    let mut s = Solo::leader(1, &[1, 2, 3]);
    let mut r = vote_request(3, 1, 1, 100);
    r.pre_vote = true;
    assert!(!as_vote(s.request(Request::Vote(r)).0).vote_granted);
    assert_eq!(s.state(), StateName::Leader);
}

/// Kafka's ResignedState refuses every vote in its epoch, pre-vote included: an ex-leader
/// (resigned by `resign`, or restarted as leader of its last epoch) must not help start an
/// election it may have lost records for.
#[test]
fn resigned_refuses_pre_votes_and_standard_votes() {
    let up_to_date_pre_vote = |epoch: i32| {
        let mut r = vote_request(3, epoch, epoch, 1_000);
        r.pre_vote = true;
        r
    };
    let mut s = Solo::leader(1, &[1, 2, 3]);
    s.step(Input::Resign { epoch: 1 });
    assert_eq!(s.state(), StateName::Resigned);
    let (resp, out) = s.request(Request::Vote(up_to_date_pre_vote(1)));
    let v = as_vote(resp);
    assert_eq!(v.partition_error_code, ErrorCode::NONE);
    assert!(!v.vote_granted, "a Resigned node granted a pre-vote");
    assert!(persisted(&out).is_empty());
    assert!(!as_vote(s.request(Request::Vote(vote_request(3, 1, 0, 5))).0).vote_granted);
    assert_eq!((s.state(), s.epoch()), (StateName::Resigned, 1));

    // Restarted as the leader of epoch 3: Resigned, same refusals.
    let mut s = Solo::restored_with_leader(1, &[1, 2, 3], 3, 1);
    assert_eq!(s.state(), StateName::Resigned);
    assert!(!as_vote(s.request(Request::Vote(up_to_date_pre_vote(3))).0).vote_granted);
    assert!(!as_vote(s.request(Request::Vote(vote_request(2, 3, 0, 0))).0).vote_granted);
    assert_eq!(s.state(), StateName::Resigned);
}

/// §5.2: a candidate persists epoch+1 and its self-vote before asking; it wins with a majority.
#[test]
fn candidate_persists_self_vote_then_asks_every_voter() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    let out = s.tick_next();
    let p = persisted(&out);
    assert_eq!(p, vec![voted(1, 1)]);
    let first_send = out
        .iter()
        .position(|o| matches!(o, Output::Send { .. }))
        .unwrap();
    let persist = out
        .iter()
        .position(|o| matches!(o, Output::PersistElectionState(_)))
        .unwrap();
    assert!(persist < first_send);
    let requests = sent(&out);
    assert_eq!(requests.len(), 2);
    for (to, req) in &requests {
        let Request::Vote(v) = req else {
            panic!("expected Vote")
        };
        assert_eq!(v.candidate_epoch, 1);
        assert_eq!(v.candidate_id, 1);
        assert_eq!(v.voter_id, *to);
        assert!(!v.pre_vote);
    }
    s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Vote(vote_response(1, -1, true)),
    });
    assert_eq!(s.state(), StateName::Leader);
}

/// A majority of rejections starts the backoff at once; afterwards a new election in epoch+1.
#[test]
fn candidate_backs_off_after_majority_rejection_then_retries() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    s.tick_next();
    assert_eq!(s.epoch(), 1);
    s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Vote(vote_response(1, -1, false)),
    });
    assert_eq!(s.state(), StateName::Candidate);
    s.step(Input::Response {
        from: 3,
        correlation_id: s.in_flight_id(3),
        response: Response::Vote(vote_response(1, -1, false)),
    });
    // The backoff is random in [0, 1000] ms (it may be 0, then the retry already happened).
    let rejected_at = s.now;
    if s.epoch() == 1 {
        s.tick_next();
    }
    assert!(
        s.now <= rejected_at + 1_000,
        "backoff at most election.backoff.max.ms"
    );
    assert_eq!(s.state(), StateName::Candidate);
    assert_eq!(s.epoch(), 2);
    assert_eq!(s.node.election_state(), &voted(2, 1));
}

/// A vote response carrying a higher epoch and a leader makes the candidate follow it.
#[test]
fn candidate_follows_leader_named_in_a_higher_epoch_response() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    s.tick_next();
    s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Vote(vote_response(3, 3, false)),
    });
    assert_eq!(s.state(), StateName::Follower);
    assert_eq!(s.epoch(), 3);
    assert_eq!(s.node.status().leader_id, Some(3));
}

/// KIP-996: Prospective asks with pre-votes in its current epoch; a majority -> Candidate(e+1).
#[test]
fn prospective_runs_pre_vote_then_real_election() {
    let cfg = support::config(1, &[1, 2, 3]);
    let (mut s, _) = Solo::new(cfg, kraft_engine::RestoredState::empty());
    let out = s.tick_next();
    assert_eq!(s.state(), StateName::Prospective);
    assert!(persisted(&out).is_empty(), "pre-vote is in memory only");
    let reqs = sent(&out);
    assert_eq!(reqs.len(), 2);
    for (_, r) in &reqs {
        let Request::Vote(v) = r else { panic!() };
        assert!(v.pre_vote);
        assert_eq!(v.candidate_epoch, 0);
    }
    s.step(Input::Response {
        from: 3,
        correlation_id: s.in_flight_id(3),
        response: Response::Vote(vote_response(0, -1, true)),
    });
    assert_eq!(s.state(), StateName::Candidate);
    assert_eq!(s.epoch(), 1);
}

#[test]
fn prospective_falls_back_to_candidate_when_a_voter_lacks_pre_vote() {
    let cfg = support::config(1, &[1, 2, 3]);
    let (mut s, _) = Solo::new(cfg, kraft_engine::RestoredState::empty());
    s.tick_next();
    assert_eq!(s.state(), StateName::Prospective);
    s.step(Input::RequestFailed {
        to: 2,
        correlation_id: s.in_flight_id(2),
        error: RequestError::UnsupportedVersion,
    });
    assert_eq!(s.state(), StateName::Candidate);
}

#[test]
fn prospective_returns_to_unattached_after_losing() {
    let cfg = support::config(1, &[1, 2, 3]);
    let (mut s, _) = Solo::new(cfg, kraft_engine::RestoredState::empty());
    s.tick_next();
    for from in [2, 3] {
        s.step(Input::Response {
            from,
            correlation_id: s.in_flight_id(from),
            response: Response::Vote(vote_response(0, -1, false)),
        });
    }
    assert_eq!(s.state(), StateName::Unattached);
    assert_eq!(s.epoch(), 0);
}

/// A Prospective that grants a standard vote in its epoch records it durably (one vote per
/// epoch also holds during pre-vote).
#[test]
fn prospective_persists_a_standard_vote_it_grants() {
    let cfg = support::config(1, &[1, 2, 3]);
    let (mut s, _) = Solo::new(
        cfg,
        kraft_engine::RestoredState {
            election: ElectionState {
                epoch: 2,
                leader_id: None,
                voted_key: None,
            },
            ..kraft_engine::RestoredState::empty()
        },
    );
    s.tick_next();
    assert_eq!(s.state(), StateName::Prospective);
    let (resp, out) = s.request(Request::Vote(vote_request(3, 2, 0, 0)));
    assert!(as_vote(resp).vote_granted);
    assert_eq!(persisted(&out), vec![voted(2, 3)]);
    assert_eq!(s.state(), StateName::Prospective);
    assert!(!as_vote(s.request(Request::Vote(vote_request(2, 2, 0, 0))).0).vote_granted);
}

/// Kafka 4.x: a candidate whose election times out goes back to Prospective (pre-vote again).
#[test]
fn candidate_timeout_returns_to_prospective_with_pre_vote() {
    let cfg = support::config(1, &[1, 2, 3]);
    let (mut s, _) = Solo::new(cfg, kraft_engine::RestoredState::empty());
    s.tick_next();
    s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Vote(vote_response(0, -1, true)),
    });
    assert_eq!(s.state(), StateName::Candidate);
    // A majority rejects: no more Vote requests, wait for the timeout.
    s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Vote(vote_response(1, -1, false)),
    });
    let out = s.step(Input::Response {
        from: 3,
        correlation_id: s.in_flight_id(3),
        response: Response::Vote(vote_response(1, -1, false)),
    });
    assert!(sent(&out)
        .iter()
        .all(|(_, r)| !matches!(r, Request::Vote(_))));
    assert_eq!(s.state(), StateName::Candidate);
    s.tick_next();
    assert_eq!(s.state(), StateName::Prospective);
    assert_eq!(s.epoch(), 1);
}

/// A vote response with a top-level UNSUPPORTED_VERSION (peer without Vote v2) makes a
/// Prospective run a standard election.
#[test]
fn unsupported_version_vote_response_falls_back_to_candidate() {
    let cfg = support::config(1, &[1, 2, 3]);
    let (mut s, _) = Solo::new(cfg, kraft_engine::RestoredState::empty());
    s.tick_next();
    let mut r = vote_response(0, -1, false);
    r.error_code = ErrorCode::UNSUPPORTED_VERSION;
    s.step(Input::Response {
        from: 3,
        correlation_id: s.in_flight_id(3),
        response: Response::Vote(r),
    });
    assert_eq!(s.state(), StateName::Candidate);
    assert_eq!(s.epoch(), 1);
}

/// Kafka 4.x: an Unattached voter asks the voters with Fetch and attaches to a leader it finds.
#[test]
fn unattached_voter_discovers_the_leader_through_fetch() {
    let (mut s, out) = Solo::new(
        support::config(1, &[1, 2, 3]),
        kraft_engine::RestoredState::empty(),
    );
    let fetches: Vec<i32> = sent(&out)
        .into_iter()
        .filter(|(_, r)| matches!(r, Request::Fetch(_)))
        .map(|(to, _)| to)
        .collect();
    assert_eq!(fetches.len(), 1);
    let mut r = fetch_response(3, 7, -1, Records::Empty);
    r.partition_error_code = ErrorCode::FENCED_LEADER_EPOCH;
    s.step(Input::Response {
        from: fetches[0],
        correlation_id: s.in_flight_id(fetches[0]),
        response: Response::Fetch(r),
    });
    assert_eq!(s.state(), StateName::Follower);
    assert_eq!((s.epoch(), s.node.status().leader_id), (7, Some(3)));
}

/// Bad input never panics: an epoch of i32::MAX from the network cannot overflow the next
/// election's epoch.
#[test]
fn maximal_epoch_from_the_network_does_not_overflow() {
    for pre_vote in [false, true] {
        let mut cfg = support::config(1, &[1, 2, 3]);
        cfg.pre_vote = pre_vote;
        let (mut s, _) = Solo::new(cfg, kraft_engine::RestoredState::empty());
        s.request(Request::Vote(vote_request(2, i32::MAX, 0, 0)));
        assert_eq!(s.epoch(), i32::MAX);
        for _ in 0..5 {
            s.tick_to(s.now + 3_000);
            for from in [2, 3] {
                s.step(Input::Response {
                    from,
                    correlation_id: s.in_flight_id(from),
                    response: Response::Vote(vote_response(i32::MAX, -1, true)),
                });
            }
        }
        assert_eq!(s.epoch(), i32::MAX);
        assert_ne!(s.state(), StateName::Leader);
    }
}
