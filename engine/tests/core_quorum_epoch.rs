//! BeginQuorumEpoch (53) and EndQuorumEpoch (54) handlers (spec 2.4, 3.4, 3.5) and the leader's
//! announcement behaviour.

mod support;

use kraft_engine::message::*;
use kraft_engine::{ElectionState, Input, StateName};
use support::solo::*;

fn follower_of(leader: i32, epoch: i32) -> Solo {
    Solo::restored(
        1,
        &[1, 2, 3],
        ElectionState {
            epoch,
            leader_id: Some(leader),
            voted_key: None,
        },
    )
}

#[test]
fn begin_checks_cluster_topic_epoch_sender_and_voter_key() {
    let mut s = follower_of(2, 5);
    let mut r = begin_request(2, 5);
    r.cluster_id = Some("x".into());
    let b = as_begin(s.request(Request::BeginQuorumEpoch(r)).0);
    assert_eq!(b.error_code, ErrorCode::INCONSISTENT_CLUSTER_ID);

    let mut r = begin_request(2, 5);
    r.topic_name = "other".into();
    let b = as_begin(s.request(Request::BeginQuorumEpoch(r)).0);
    assert_eq!(b.error_code, ErrorCode::INVALID_REQUEST);

    let b = as_begin(s.request(Request::BeginQuorumEpoch(begin_request(2, 4))).0);
    assert_eq!(b.partition_error_code, ErrorCode::FENCED_LEADER_EPOCH);
    assert_eq!((b.leader_id, b.leader_epoch), (2, 5));

    let b = as_begin(s.request(Request::BeginQuorumEpoch(begin_request(-1, 6))).0);
    assert_eq!(b.partition_error_code, ErrorCode::INVALID_REQUEST);

    let mut r = begin_request(3, 6);
    r.voter_id = 2;
    assert_eq!(s.epoch(), 5, "the error paths above change nothing");
    let b = as_begin(s.request(Request::BeginQuorumEpoch(r)).0);
    assert_eq!(b.partition_error_code, ErrorCode::INVALID_VOTER_KEY);
    // As Kafka, the news of a new leader is still applied.
    assert_eq!((b.leader_id, b.leader_epoch), (3, 6));
}

/// Higher epoch with a leader: Follower, persisted before the response.
#[test]
fn begin_with_higher_epoch_makes_a_durable_follower() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    let (resp, out) = s.request(Request::BeginQuorumEpoch(begin_request(3, 2)));
    let b = as_begin(resp);
    assert_eq!(b.partition_error_code, ErrorCode::NONE);
    assert_eq!((b.leader_id, b.leader_epoch), (3, 2));
    assert_eq!(s.state(), StateName::Follower);
    assert_eq!(
        persisted(&out),
        vec![ElectionState {
            epoch: 2,
            leader_id: Some(3),
            voted_key: None
        }]
    );
    // It fetches from the new leader right away.
    let fetches: Vec<_> = sent(&out)
        .into_iter()
        .filter(|(_, r)| matches!(r, Request::Fetch(_)))
        .collect();
    assert_eq!(fetches.len(), 1);
    assert_eq!(fetches[0].0, 3);
    // Endpoint of the known leader is returned.
    assert_eq!(b.node_endpoints.len(), 1);
    assert_eq!(b.node_endpoints[0].node_id, 3);
}

/// Same epoch: an Unattached voter that voted learns the leader.
#[test]
fn begin_in_same_epoch_sets_the_unknown_leader() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    assert!(as_vote(s.request(Request::Vote(vote_request(2, 4, 0, 0))).0).vote_granted);
    let b = as_begin(s.request(Request::BeginQuorumEpoch(begin_request(2, 4))).0);
    assert_eq!(b.partition_error_code, ErrorCode::NONE);
    assert_eq!(s.state(), StateName::Follower);
    assert_eq!(s.node.status().leader_id, Some(2));
}

/// Spec 7.2: a same-epoch message naming a different leader is a violation, not a switch.
/// Kafka's receiver throws (its request layer would answer UNKNOWN_SERVER_ERROR at the top
/// level); a Java sender halts on a partition-level INVALID_REQUEST, so the answer is a top-level
/// UNKNOWN_SERVER_ERROR, which Java backs off on.
fn assert_survivable_refusal(top: ErrorCode, partition: ErrorCode) {
    assert_eq!(top, ErrorCode::UNKNOWN_SERVER_ERROR);
    assert_ne!(partition, ErrorCode::INVALID_REQUEST);
}

#[test]
fn begin_naming_a_different_leader_for_the_same_epoch_is_refused_survivably() {
    let mut s = follower_of(2, 5);
    let b = as_begin(s.request(Request::BeginQuorumEpoch(begin_request(3, 5))).0);
    assert_survivable_refusal(b.error_code, b.partition_error_code);
    assert_eq!(s.node.status().leader_id, Some(2));
    assert_eq!(s.state(), StateName::Follower);
    // Naming this node as leader while it is not: refused the same way, nothing changes.
    let b = as_begin(s.request(Request::BeginQuorumEpoch(begin_request(1, 6))).0);
    assert_survivable_refusal(b.error_code, b.partition_error_code);
    assert_eq!(s.epoch(), 5);
    let b = as_begin(s.request(Request::BeginQuorumEpoch(begin_request(1, 5))).0);
    assert_survivable_refusal(b.error_code, b.partition_error_code);
    assert_eq!(s.node.status().leader_id, Some(2));
}

#[test]
fn end_naming_a_different_leader_for_the_same_epoch_is_refused_survivably() {
    let mut s = follower_of(2, 5);
    let e = as_end(
        s.request(Request::EndQuorumEpoch(end_request(3, 5, vec![1])))
            .0,
    );
    assert_survivable_refusal(e.error_code, e.partition_error_code);
    // The refused request did not shorten the fetch timer of the real leader's follower.
    assert_eq!(s.state(), StateName::Follower);
    assert_eq!(s.node.status().leader_id, Some(2));
    let e = as_end(
        s.request(Request::EndQuorumEpoch(end_request(1, 7, vec![1])))
            .0,
    );
    assert_survivable_refusal(e.error_code, e.partition_error_code);
    assert_eq!(s.epoch(), 5);
}

/// The leader announces itself to every voter at once and again every fetch.timeout/2.
#[test]
fn leader_sends_begin_quorum_epoch_at_election_and_periodically() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    s.tick_next();
    let out = s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Vote(vote_response(1, -1, true)),
    });
    let begins: Vec<i32> = sent(&out)
        .into_iter()
        .filter(|(_, r)| matches!(r, Request::BeginQuorumEpoch(_)))
        .map(|(to, _)| to)
        .collect();
    // Becoming leader forgets in-flight requests (the Vote to 3): both get the announcement.
    assert_eq!(begins, vec![2, 3]);
    let elected_at = s.now;
    for from in [2, 3] {
        s.step(Input::Response {
            from,
            correlation_id: s.in_flight_id(from),
            response: Response::BeginQuorumEpoch(BeginQuorumEpochResponse {
                error_code: ErrorCode::NONE,
                topic_name: TOPIC.into(),
                partition: 0,
                partition_error_code: ErrorCode::NONE,
                leader_id: 1,
                leader_epoch: 1,
                node_endpoints: vec![],
            }),
        });
    }
    assert!(sent(&s.tick_to(elected_at + 999)).is_empty());
    let out = s.tick_to(elected_at + 1_000);
    let mut begins: Vec<i32> = sent(&out)
        .into_iter()
        .filter_map(|(to, r)| match r {
            Request::BeginQuorumEpoch(b) => {
                assert_eq!((b.leader_id, b.leader_epoch), (1, 1));
                assert_eq!(b.leader_endpoints[0].name, "CONTROLLER");
                Some(to)
            }
            _ => None,
        })
        .collect();
    begins.sort();
    assert_eq!(begins, vec![2, 3], "periodic resend to all voters");
}

#[test]
fn end_checks_cluster_topic_and_epoch() {
    let mut s = follower_of(2, 5);
    let mut r = end_request(2, 5, vec![1]);
    r.cluster_id = Some("x".into());
    assert_eq!(
        as_end(s.request(Request::EndQuorumEpoch(r)).0).error_code,
        ErrorCode::INCONSISTENT_CLUSTER_ID
    );
    let mut r = end_request(2, 5, vec![1]);
    r.partition = 3;
    assert_eq!(
        as_end(s.request(Request::EndQuorumEpoch(r)).0).error_code,
        ErrorCode::INVALID_REQUEST
    );
    let e = as_end(
        s.request(Request::EndQuorumEpoch(end_request(2, 3, vec![1])))
            .0,
    );
    assert_eq!(e.partition_error_code, ErrorCode::FENCED_LEADER_EPOCH);
    let e = as_end(
        s.request(Request::EndQuorumEpoch(end_request(-5, 5, vec![1])))
            .0,
    );
    assert_eq!(e.partition_error_code, ErrorCode::INVALID_REQUEST);
}

/// Spec 2.3: the first preferred successor starts an election at once; others wait longer.
#[test]
fn end_shortens_the_fetch_timer_by_preference() {
    let mut s = follower_of(2, 5);
    let e = as_end(
        s.request(Request::EndQuorumEpoch(end_request(2, 5, vec![1, 3])))
            .0,
    );
    assert_eq!(e.partition_error_code, ErrorCode::NONE);
    // Fetch deadline is now: the timers fire in the same step.
    assert_ne!(s.state(), StateName::Follower);
    assert_eq!(s.state(), StateName::Candidate); // pre-vote off in these tests
    assert_eq!(s.epoch(), 6);

    let mut s = follower_of(2, 5);
    let before = s.now;
    s.request(Request::EndQuorumEpoch(end_request(2, 5, vec![3, 1])));
    assert_eq!(s.state(), StateName::Follower);
    // Position 1 of 2: (1000 >> 1) << 0 = 500 ms.
    assert_eq!(s.node.next_deadline_ms().min(before + 500), before + 500);
    s.tick_to(before + 499);
    assert_eq!(s.state(), StateName::Follower);
    s.tick_to(before + 500);
    assert_eq!(s.state(), StateName::Candidate);
}
