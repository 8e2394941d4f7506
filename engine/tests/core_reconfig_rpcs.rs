//! AddRaftVoter and RemoveRaftVoter on the leader of a dynamic quorum, against Kafka's
//! `AddVoterHandler` / `RemoveVoterHandler`: accepted changes, every refusal with Kafka's code
//! and message, one uncommitted change at a time, the answer when committed (or at once with
//! AckWhenCommitted=false), a leader that removed itself resigning, and a removed voter that
//! no longer disturbs the quorum.

mod support;

use kraft_engine::message::{ErrorCode, ReplicaKey, Uuid};
use kraft_engine::StateName;
use support::dynamic::{add_request, change_answer, directory_id, key, remove_request};
use support::Cluster;

/// Voters 1-3 with a leader that committed its epoch start; observer 4 caught up.
fn quorum_with_observer() -> (Cluster, i32) {
    let mut c = Cluster::new_dynamic(&[1, 2, 3, 4], &[1, 2, 3]);
    assert!(c.run_until(10_000, |c| c
        .leader()
        .is_some_and(|l| c.node(l).high_watermark().is_some())));
    let leader = c.leader().unwrap();
    let end = c.peer(leader).log_end_offset();
    assert!(c.run_until(5_000, |c| c.node(4).high_watermark() == Some(end)));
    (c, leader)
}

#[test]
fn add_voter_is_answered_once_committed_and_the_new_voter_acts_as_one() {
    let (mut c, leader) = quorum_with_observer();
    let request = c.operator(leader, add_request(4, true));
    assert!(c.run_until(5_000, |c| c.answer(leader, request).is_some()));
    assert_eq!(
        change_answer(c.answer(leader, request)),
        Some((ErrorCode::NONE, None))
    );
    let hw = c.node(leader).high_watermark().unwrap();
    let (_, at_hw) = c.node(leader).kraft_control_at(hw - 1);
    assert_eq!(
        at_hw.map(|v| v.ids().collect::<Vec<_>>()),
        Some(vec![1, 2, 3, 4]),
        "answered only once the new voter set is committed"
    );
    assert!(c.run_until(2_000, |c| c.node(4).status().is_voter));
    for id in 1..=4 {
        assert_eq!(c.voters_of(id), vec![1, 2, 3, 4], "node {id}");
    }
    // The new voter counts: with two old voters down, 4 gives the leader its majority of 3.
    let others: Vec<i32> = [1, 2, 3].into_iter().filter(|&v| v != leader).collect();
    c.isolated.insert(others[0]);
    let epoch = c.node(leader).status().epoch;
    let offset = c.append(leader, epoch, b"after-add").unwrap();
    assert!(c.run_until(2_000, |c| c.node(leader).high_watermark() > Some(offset)));
}

#[test]
fn add_voter_refusals_carry_kafkas_codes_and_messages() {
    let (mut c, leader) = quorum_with_observer();
    let duplicate = c.operator(leader, add_request(2, true));
    let (code, message) = change_answer(c.answer(leader, duplicate)).unwrap();
    assert_eq!(code, ErrorCode::DUPLICATE_VOTER);
    let message = message.unwrap();
    assert!(
        message.starts_with("The voter id for ReplicaKey(id=2, directoryId=Optional[")
            && message.contains("is already part of the set of voters [ReplicaKey(id=1,"),
        "{message}"
    );
    let mut no_directory = add_request(4, true);
    if let kraft_engine::message::Request::AddRaftVoter(r) = &mut no_directory {
        r.voter_directory_id = Uuid::ZERO;
    }
    let invalid = c.operator(leader, no_directory);
    assert_eq!(
        change_answer(c.answer(leader, invalid)),
        Some((
            ErrorCode::INVALID_REQUEST,
            Some("Add voter request didn't include a valid voter".to_string())
        ))
    );
    let mut other_listener = add_request(4, true);
    if let kraft_engine::message::Request::AddRaftVoter(r) = &mut other_listener {
        r.listeners[0].name = "OTHER".to_string();
    }
    let no_endpoint = c.operator(leader, other_listener);
    let (code, message) = change_answer(c.answer(leader, no_endpoint)).unwrap();
    assert_eq!(code, ErrorCode::INVALID_REQUEST);
    assert!(message
        .unwrap()
        .contains("for the default listener CONTROLLER"));
    let mut wrong_cluster = add_request(4, true);
    if let kraft_engine::message::Request::AddRaftVoter(r) = &mut wrong_cluster {
        r.cluster_id = Some("other".to_string());
    }
    let cluster = c.operator(leader, wrong_cluster);
    assert_eq!(
        change_answer(c.answer(leader, cluster)),
        Some((
            ErrorCode::INCONSISTENT_CLUSTER_ID,
            Some(
                "The given id \"other\" doesn't match the cluster id \"AAAAAAAAAAAAAAAAAAAAAA\""
                    .to_string()
            )
        ))
    );
    let follower = [1, 2, 3].into_iter().find(|&v| v != leader).unwrap();
    let not_leader = c.operator(follower, add_request(4, true));
    assert_eq!(
        change_answer(c.answer(follower, not_leader)),
        Some((ErrorCode::NOT_LEADER_OR_FOLLOWER, None))
    );
}

#[test]
fn a_replica_that_never_caught_up_is_refused_as_lagging() {
    let (mut c, leader) = quorum_with_observer();
    // Node 5 exists (answers ApiVersions) but never fetched from the leader.
    c.add_dynamic(5, &[], |_| {});
    let request = c.operator(leader, add_request(5, true));
    assert!(c.run_until(2_000, |c| c.answer(leader, request).is_some()));
    let (code, message) = change_answer(c.answer(leader, request)).unwrap();
    assert_eq!(code, ErrorCode::REQUEST_TIMED_OUT);
    assert_eq!(
        message.unwrap(),
        format!(
            "Aborted add voter operation for ReplicaKey(id=5, directoryId=Optional[{}]) since it \
             is lagging behind",
            directory_id(5, 0)
        )
    );
    assert_eq!(c.voters_of(leader), vec![1, 2, 3]);
}

#[test]
fn a_new_voter_without_kraft_version_1_is_refused() {
    let (mut c, leader) = quorum_with_observer();
    c.api_versions_kraft_range = Some((0, 0));
    let request = c.operator(leader, add_request(4, true));
    assert!(c.run_until(2_000, |c| c.answer(leader, request).is_some()));
    let (code, message) = change_answer(c.answer(leader, request)).unwrap();
    assert_eq!(code, ErrorCode::INVALID_REQUEST);
    assert!(message.unwrap().ends_with(
        "since the kraft.version range (min: 0, max: 0 doesn't support the finalized version 1"
    ),);
}

/// KIP-853: one uncommitted voter change at a time; AckWhenCommitted=false (KIP-1186) is
/// answered once the record is appended, and a v0 request waits for the commit until its
/// timeout.
#[test]
fn one_uncommitted_change_at_a_time_and_ack_on_append() {
    let (mut c, leader) = quorum_with_observer();
    // The old voters stop answering the leader: the new set {1..4} (majority 3) cannot commit.
    for v in [1, 2, 3].into_iter().filter(|&v| v != leader) {
        c.blocked.insert((v, leader));
    }
    let add = c.operator(leader, add_request(4, false));
    assert!(c.run_until(1_000, |c| c.answer(leader, add).is_some()));
    assert_eq!(
        change_answer(c.answer(leader, add)),
        Some((ErrorCode::NONE, None))
    );
    assert_eq!(
        c.voters_of(leader),
        vec![1, 2, 3, 4],
        "in force once appended"
    );
    let follower = [1, 2, 3].into_iter().find(|&v| v != leader).unwrap();
    let second = c.operator(leader, remove_request(key(follower)));
    let (code, message) = change_answer(c.answer(leader, second)).unwrap();
    assert_eq!(code, ErrorCode::REQUEST_TIMED_OUT);
    assert_eq!(
        message.unwrap(),
        "Request timed out waiting for leader to handle previous voter change request"
    );
}

#[test]
fn remove_voter_commits_and_the_removed_voter_stays_quiet() {
    let (mut c, leader) = quorum_with_observer();
    let removed = [1, 2, 3].into_iter().find(|&v| v != leader).unwrap();
    let request = c.operator(leader, remove_request(key(removed)));
    assert!(c.run_until(5_000, |c| c.answer(leader, request).is_some()));
    assert_eq!(
        change_answer(c.answer(leader, request)),
        Some((ErrorCode::NONE, None))
    );
    assert!(c.run_until(2_000, |c| !c.node(removed).status().is_voter));
    let epoch = c.node(leader).status().epoch;
    // The removed replica keeps replicating as an observer and never runs an election.
    c.run_for(20_000);
    assert_eq!(c.leader(), Some(leader));
    assert_eq!(c.node(leader).status().epoch, epoch);
    let status = c.node(removed).status();
    assert_eq!(status.state, StateName::Follower);
    assert_eq!(status.epoch, epoch);
}

#[test]
fn remove_voter_refusals() {
    let (mut c, leader) = quorum_with_observer();
    let wrong_directory = ReplicaKey {
        id: 2,
        directory_id: directory_id(2, 9),
    };
    let request = c.operator(leader, remove_request(wrong_directory));
    let (code, message) = change_answer(c.answer(leader, request)).unwrap();
    assert_eq!(code, ErrorCode::VOTER_NOT_FOUND);
    assert!(message
        .unwrap()
        .starts_with("Cannot remove voter ReplicaKey(id=2, directoryId=Optional["));
    let request = c.operator(leader, remove_request(key(4)));
    assert_eq!(
        change_answer(c.answer(leader, request)).map(|a| a.0),
        Some(ErrorCode::VOTER_NOT_FOUND)
    );
}

/// Kafka's `RemoveVoterHandler.highWatermarkUpdated`: a leader that removed itself leads until
/// the change commits, then resigns; the remaining voters elect a leader among themselves.
#[test]
fn a_leader_that_removed_itself_resigns_once_committed() {
    let (mut c, leader) = quorum_with_observer();
    let request = c.operator(leader, remove_request(key(leader)));
    assert!(c.run_until(5_000, |c| c.answer(leader, request).is_some()));
    assert_eq!(
        change_answer(c.answer(leader, request)),
        Some((ErrorCode::NONE, None))
    );
    assert!(c.run_until(10_000, |c| c
        .leader()
        .is_some_and(|l| l != leader && c.node(l).status().epoch > 1)));
    let new_leader = c.leader().unwrap();
    assert!(c.node(new_leader).status().is_voter);
    assert!(!c.node(leader).status().is_voter);
    let expected: Vec<i32> = [1, 2, 3].into_iter().filter(|&v| v != leader).collect();
    assert_eq!(c.voters_of(new_leader), expected);
}
