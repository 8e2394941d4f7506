//! Voter sets (issue 16): hand-built histories of elections and voter changes.

use kraft_engine::message::{ReplicaKey, Uuid};

use super::*;

fn key(id: NodeId) -> ReplicaKey {
    ReplicaKey {
        id,
        directory_id: Uuid::from_parts(7, id as u64),
    }
}

fn keys(ids: &[NodeId]) -> Vec<ReplicaKey> {
    ids.iter().map(|&id| key(id)).collect()
}

#[test]
fn leader_elected_by_a_majority_of_its_voter_set_is_fine() {
    let mut checker = Checker::new();
    checker.on_vote_granted_key(3, 1, key(2));
    checker.check_leader_votes(0, key(1), 3, &keys(&[1, 2, 3]));
    assert_eq!(checker.violation_count(), 0);
    // Judged once per epoch.
    checker.check_leader_votes(1, key(1), 3, &keys(&[1, 2, 3, 4, 5]));
    assert_eq!(checker.violation_count(), 0);
}

#[test]
fn leader_without_a_majority_of_its_voter_set_is_reported() {
    let mut checker = Checker::new();
    // Two grants, but from a replica outside the set and from an old directory of voter 3.
    checker.on_vote_granted_key(4, 1, key(9));
    checker.on_vote_granted_key(
        4,
        1,
        ReplicaKey {
            id: 3,
            directory_id: Uuid::from_parts(8, 3),
        },
    );
    checker.on_vote_granted_key(4, 1, key(2));
    checker.check_leader_votes(0, key(1), 4, &keys(&[1, 2, 3, 4, 5]));
    assert!(checker.has(Invariant::ElectionSafety));
}

#[test]
fn grants_of_another_epoch_or_candidate_do_not_count() {
    let mut checker = Checker::new();
    checker.on_vote_granted_key(5, 1, key(2));
    checker.on_vote_granted_key(6, 3, key(2));
    checker.check_leader_votes(0, key(1), 6, &keys(&[1, 2, 3]));
    assert!(checker.has(Invariant::ElectionSafety));
}

#[test]
fn second_voter_change_while_one_is_uncommitted_is_reported() {
    let mut checker = Checker::new();
    // The previous voter set is committed (below the high watermark): fine.
    checker.on_voter_change_appended(0, 1, 20, 10, 11);
    // The bootstrap one (-1) is always committed.
    checker.on_voter_change_appended(0, 1, 20, -1, 0);
    assert_eq!(checker.violation_count(), 0);
    checker.on_voter_change_appended(1, 1, 21, 20, 20);
    assert!(checker.has(Invariant::UncommittedVoterSets));
}

#[test]
fn committed_voter_set_follows_the_committed_log() {
    let n1 = log(&[(0, 4, 1, 1), (5, 5, 1, 2), (6, 9, 1, 3)]);
    let mut checker = Checker::new();
    checker.set_initial_voters(keys(&[1, 2, 3]));
    append_all(&mut checker, 1, &n1);
    checker.on_voters_appended(1, 5, 5, keys(&[1, 2, 3, 4]));
    assert_eq!(checker.pending_voter_sets().count(), 1);
    checker.on_high_watermark(0, 1, 5, &n1);
    assert_eq!(checker.committed_voters(), &keys(&[1, 2, 3])[..]);
    checker.on_high_watermark(1, 1, 10, &n1);
    assert_eq!(checker.committed_voters(), &keys(&[1, 2, 3, 4])[..]);
    assert_eq!(checker.committed_voters_offset(), 5);
    assert_eq!(checker.pending_voter_sets().count(), 0);
}

#[test]
fn durability_against_an_appended_voter_set() {
    // Voters {1, 2} commit [0, 4] on node 1 and new voter 3 under the appended set {1, 2, 3}
    // (KIP-853: in force when appended): 2 of 3 is a majority of the new set, not of the old.
    let n1 = log(&[(0, 4, 1, 1)]);
    let n2 = log(&[]);
    let n3 = log(&[(0, 4, 1, 1)]);
    let mut checker = Checker::new();
    checker.on_high_watermark(0, 1, 5, &n1);
    let old = vec![(1, &n1), (2, &n2)];
    let new = vec![(1, &n1), (2, &n2), (3, &n3)];
    checker.check_durability_any(0, &[old.clone(), new]);
    assert_eq!(checker.violation_count(), 0);
    checker.on_crash(3);
    checker.check_durability_any(1, &[old]);
    assert!(checker.has(Invariant::CommittedLost));
}

#[test]
fn voter_change_reports_name_their_invariants() {
    let mut checker = Checker::new();
    checker.on_voters_disagree(0, 1, "voter set [1] but log [1, 2]".to_string());
    checker.on_removed_voter_election(0, 2, "Candidate outside [1]".to_string());
    assert!(checker.has(Invariant::VotersNotFromLog));
    assert!(checker.has(Invariant::RemovedVoterDisrupts));
}
