//! Voter changes seen from the followers and across elections, against Kafka 4.x: a voter
//! whose listeners changed sends UpdateRaftVoter; an auto-joining observer adds itself and
//! does not add itself back after an operator removed it (KAFKA-19850, see `voter_join.rs`);
//! an uncommitted voter change is rolled back with the log; elections count the voter set in
//! force; a static quorum refuses the RPCs as Kafka's kraft.version 0 does.

mod support;

use kraft_engine::message::{ErrorCode, LeaderEndpoint, Request, Response, UpdateRaftVoterRequest};
use kraft_engine::StateName;
use support::dynamic::{add_request, change_answer, directory_id, endpoint, key, remove_request};
use support::Cluster;

fn elected(c: &mut Cluster) -> i32 {
    assert!(c.run_until(10_000, |c| c
        .leader()
        .is_some_and(|l| c.node(l).high_watermark().is_some())));
    c.leader().unwrap()
}

fn update_request(id: i32, epoch: i32, host: &str, min: i16, max: i16) -> Request {
    Request::UpdateRaftVoter(UpdateRaftVoterRequest {
        cluster_id: None,
        current_leader_epoch: epoch,
        voter_id: id,
        voter_directory_id: directory_id(id, 0),
        listeners: vec![LeaderEndpoint {
            host: host.to_string(),
            ..endpoint(id)
        }],
        kraft_version_min: min,
        kraft_version_max: max,
    })
}

fn update_code(response: Option<Response>) -> ErrorCode {
    match response {
        Some(Response::UpdateRaftVoter(r)) => r.error_code,
        other => panic!("not an UpdateRaftVoter answer: {other:?}"),
    }
}

#[test]
fn update_voter_on_the_leader_and_its_refusals() {
    let mut c = Cluster::new_dynamic(&[1, 2, 3], &[1, 2, 3]);
    let leader = elected(&mut c);
    let epoch = c.node(leader).status().epoch;
    let voter = [1, 2, 3].into_iter().find(|&v| v != leader).unwrap();
    let bad_range = c.operator(leader, update_request(voter, epoch, "h", 1, 0));
    assert_eq!(
        update_code(c.answer(leader, bad_range)),
        ErrorCode::INVALID_REQUEST
    );
    let no_version_1 = c.operator(leader, update_request(voter, epoch, "h", 0, 0));
    assert_eq!(
        update_code(c.answer(leader, no_version_1)),
        ErrorCode::INVALID_REQUEST
    );
    let stale = c.operator(leader, update_request(voter, epoch - 1, "h", 0, 1));
    assert_eq!(
        update_code(c.answer(leader, stale)),
        ErrorCode::FENCED_LEADER_EPOCH
    );
    let mut other_dir = update_request(voter, epoch, "h", 0, 1);
    if let Request::UpdateRaftVoter(r) = &mut other_dir {
        r.voter_directory_id = directory_id(voter, 5);
    }
    let not_found = c.operator(leader, other_dir);
    assert_eq!(
        update_code(c.answer(leader, not_found)),
        ErrorCode::VOTER_NOT_FOUND
    );
    let ok = c.operator(leader, update_request(voter, epoch, "new-host", 0, 1));
    let answer = c.answer(leader, ok);
    assert_eq!(update_code(answer.clone()), ErrorCode::NONE);
    let Some(Response::UpdateRaftVoter(r)) = answer else {
        unreachable!()
    };
    assert_eq!(r.current_leader.leader_id, leader);
    assert_eq!(r.node_endpoint.map(|e| e.port), Some(9000 + leader as u16));
    let host = |c: &Cluster, at: i32| {
        c.node(at).voter_set().get(voter).unwrap().listeners[0]
            .host
            .clone()
    };
    assert_eq!(host(&c, leader), "new-host", "in force once appended");
    assert!(c.run_until(2_000, |c| host(c, voter) == "new-host"));
}

/// Kafka 4.x `pollFollowerAsVoter`: a voter whose advertised listeners differ from its entry
/// sends UpdateRaftVoter within an update period (one fetch timeout), and the leader records it.
#[test]
fn a_voter_with_new_listeners_updates_its_entry() {
    let mut c = Cluster::new_dynamic(&[1, 2, 3], &[1, 2, 3]);
    let leader = elected(&mut c);
    let voter = [1, 2, 3].into_iter().find(|&v| v != leader).unwrap();
    let peer = c.crash(voter);
    let mut cfg = support::dynamic::config(voter, &[1, 2, 3]);
    cfg.local_listeners[0].host = "renamed".to_string();
    let bootstrap = support::dynamic::bootstrap_entries(&[1, 2, 3]);
    c.restart_with(voter, peer, cfg, bootstrap, 5);
    assert!(c.run_until(10_000, |c| c
        .node(leader)
        .voter_set()
        .get(voter)
        .is_some_and(|v| v.listeners[0].host == "renamed")));
    let updates = c
        .peer(voter)
        .trace
        .iter()
        .filter(|o| {
            matches!(
                o,
                kraft_engine::Output::Send {
                    request: Request::UpdateRaftVoter(_),
                    ..
                }
            )
        })
        .count();
    assert!(updates >= 1);
    assert_eq!(
        c.leader(),
        Some(leader),
        "an update does not disturb the leader"
    );
}

/// KIP-853: a voter set is in force once appended, and a truncation rolls an uncommitted one
/// back. A leader cut off from the others appends a removal that never commits; after a new
/// leader is elected the old one truncates it away and is a voter of the old set again.
#[test]
fn an_uncommitted_voter_set_is_rolled_back_by_truncation() {
    let mut c = Cluster::new_dynamic(&[1, 2, 3], &[1, 2, 3]);
    let old = elected(&mut c);
    let others: Vec<i32> = [1, 2, 3].into_iter().filter(|&v| v != old).collect();
    c.isolated.insert(old);
    let request = c.operator(old, remove_request(key(others[0])));
    assert_eq!(
        c.voters_of(old),
        vec![old.min(others[1]), old.max(others[1])]
    );
    assert!(c.answer(old, request).is_none(), "not committed");
    let elected_other = c.run_until(20_000, |c| c.leader().is_some_and(|l| l != old));
    assert!(
        elected_other,
        "{:#?}",
        [1, 2, 3].map(|i| c.node(i).status())
    );
    c.isolated.clear();
    let new_leader = c.leader().unwrap();
    let epoch = c.node(new_leader).status().epoch;
    c.append(new_leader, epoch, b"new").unwrap();
    assert!(c.run_until(10_000, |c| c.node(old).status().leader_id
        == Some(new_leader)
        && c.node(old).high_watermark() == c.node(new_leader).high_watermark()));
    assert_eq!(
        c.voters_of(old),
        vec![1, 2, 3],
        "the removal was truncated away"
    );
    assert!(c.node(old).status().is_voter);
}

/// Kafka 4.x auto-join: an observer with `controller.quorum.auto.join.enable` adds itself once
/// caught up. KAFKA-19850 (our rule): after an operator removes it, it does not add itself back.
#[test]
fn auto_join_adds_the_observer_and_never_re_adds_it_after_removal() {
    let mut c = Cluster::new_dynamic(&[1, 2, 3], &[1, 2, 3]);
    let leader = elected(&mut c);
    c.add_dynamic(4, &[1, 2, 3], |cfg| cfg.auto_join = true);
    assert!(c.run_until(20_000, |c| c.node(4).status().is_voter));
    assert!(c.run_until(5_000, |c| c.voters_of(leader) == vec![1, 2, 3, 4]));
    let leader = c.leader().unwrap();
    let request = c.operator(leader, remove_request(key(4)));
    assert!(c.run_until(5_000, |c| c.answer(leader, request).is_some()));
    assert_eq!(
        change_answer(c.answer(leader, request)).map(|a| a.0),
        Some(ErrorCode::NONE)
    );
    assert!(c.run_until(5_000, |c| !c.node(4).status().is_voter));
    let adds_before = sent_adds(&c, 4);
    c.run_for(30_000);
    assert_eq!(
        sent_adds(&c, 4),
        adds_before,
        "no AddRaftVoter after the removal"
    );
    assert_eq!(c.voters_of(c.leader().unwrap()), vec![1, 2, 3]);
    // A restart with the removal in its log keeps it out too.
    let adds_before_restart = sent_adds(&c, 4);
    let peer = c.crash(4);
    let mut cfg = support::dynamic::config(4, &[1, 2, 3]);
    cfg.auto_join = true;
    c.restart_with(4, peer, cfg, support::dynamic::bootstrap_entries(&[]), 11);
    c.run_for(30_000);
    assert_eq!(sent_adds(&c, 4), adds_before_restart);
    assert!(!c.node(4).status().is_voter);
}

fn sent_adds(c: &Cluster, id: i32) -> usize {
    c.peer(id)
        .trace
        .iter()
        .filter(|o| {
            matches!(
                o,
                kraft_engine::Output::Send {
                    request: Request::AddRaftVoter(_),
                    ..
                }
            )
        })
        .count()
}

/// Elections after a change count the new voter set: with 4 voters, the survivors of a leader
/// crash need 3 votes, and the added voter's vote is one of them.
#[test]
fn elections_after_growing_the_voter_set_need_the_new_majority() {
    let mut c = Cluster::new_dynamic(&[1, 2, 3, 4], &[1, 2, 3]);
    let leader = elected(&mut c);
    let end = c.peer(leader).log_end_offset();
    assert!(c.run_until(5_000, |c| c.node(4).high_watermark() == Some(end)));
    let request = c.operator(leader, add_request(4, true));
    assert!(c.run_until(5_000, |c| c.answer(leader, request).is_some()));
    let _crashed = c.crash(leader);
    let survivors: Vec<i32> = [1, 2, 3, 4].into_iter().filter(|&v| v != leader).collect();
    // One more old voter isolated: the two remaining (one old, node 4) are not a majority of 4.
    let isolated = survivors.iter().copied().find(|&v| v != 4).unwrap();
    c.isolated.insert(isolated);
    c.run_for(15_000);
    assert!(survivors
        .iter()
        .all(|&v| c.node(v).status().state != StateName::Leader));
    c.isolated.clear();
    assert!(c.run_until(20_000, |c| c.leader().is_some_and(|l| l != leader)));
    let new_leader = c.leader().unwrap();
    assert_eq!(c.voters_of(new_leader), vec![1, 2, 3, 4]);
}

/// kraft.version 0 (static voters): Kafka's AddVoter/RemoveVoter handlers refuse with
/// UNSUPPORTED_VERSION; Kafka 4.4 answers a static voter's UpdateRaftVoter.
#[test]
fn a_static_quorum_refuses_voter_changes() {
    let mut c = Cluster::new(&[1, 2, 3], &[1, 2, 3]);
    let leader = elected(&mut c);
    let add = c.operator(leader, add_request(4, true));
    assert_eq!(
        change_answer(c.answer(leader, add)),
        Some((
            ErrorCode::UNSUPPORTED_VERSION,
            Some(
                "Cluster doesn't support adding voter because the kraft.version feature is 0"
                    .to_string()
            )
        ))
    );
    let remove = c.operator(leader, remove_request(key(2)));
    assert_eq!(
        change_answer(c.answer(leader, remove)).map(|a| a.0),
        Some(ErrorCode::UNSUPPORTED_VERSION)
    );
    // Kafka 4.4 answers a static voter's UpdateRaftVoter (kept in memory for an upgrade).
    let epoch = c.node(leader).status().epoch;
    let update = c.operator(leader, update_request(2, epoch, "h", 0, 1));
    assert_eq!(update_code(c.answer(leader, update)), ErrorCode::NONE);
    let too_new = c.operator(leader, update_request(2, epoch, "h", 1, 1));
    assert_eq!(
        update_code(c.answer(leader, too_new)),
        ErrorCode::INVALID_REQUEST
    );
    let unknown = c.operator(leader, update_request(7, epoch, "h", 0, 1));
    assert_eq!(
        update_code(c.answer(leader, unknown)),
        ErrorCode::VOTER_NOT_FOUND
    );
    assert_eq!(c.node(leader).status().kraft_version, 0);
    assert_eq!(
        c.node(leader).voter_set().get(2).unwrap().listeners[0].host,
        "127.0.0.1"
    );
}

/// Raft thesis 4.2.2: a leader that removed itself but lost leadership before the change
/// committed (here: the only remaining voter was cut off) may still run for leader until the
/// change commits, without counting its own vote; it then commits the change and resigns, and
/// the remaining voter leads. Without that, the remaining voter (behind, with the old set)
/// could never win a vote from the removed leader and nobody could lead again.
#[test]
fn a_leader_that_lost_leadership_before_its_removal_committed_still_finishes_it() {
    let mut c = Cluster::new_dynamic(&[1, 2], &[1, 2]);
    let leader = elected(&mut c);
    let other = 3 - leader;
    c.isolated.insert(other);
    let request = c.operator(leader, remove_request(key(leader)));
    assert_eq!(c.voters_of(leader), vec![other]);
    assert!(c.run_until(10_000, |c| c.node(leader).status().state
        != StateName::Leader));
    assert!(
        c.answer(leader, request).is_some(),
        "the leader answered when it stepped down"
    );
    c.isolated.clear();
    assert!(c.run_until(30_000, |c| c.leader() == Some(other)
        && c.node(other).status().is_voter
        && c.voters_of(other) == vec![other]
        && c.node(other).high_watermark() == Some(c.peer(other).log_end_offset())));
    assert!(!c.node(leader).status().is_voter);
}

/// A member whose disk was wiped comes back with a new directory id and auto-join: it is a
/// new replica, not the one the operator removed, so it adds itself.
#[test]
fn a_wiped_member_with_a_new_directory_auto_joins() {
    let mut c = Cluster::new_dynamic(&[1, 2, 3, 4], &[1, 2, 3]);
    let leader = elected(&mut c);
    let end = c.peer(leader).log_end_offset();
    assert!(c.run_until(5_000, |c| c.node(4).high_watermark() == Some(end)));
    let add = c.operator(leader, add_request(4, true));
    assert!(c.run_until(5_000, |c| c.answer(leader, add).is_some()));
    let remove = c.operator(leader, remove_request(key(4)));
    assert!(c.run_until(5_000, |c| c.answer(leader, remove).is_some()));
    assert!(c.run_until(5_000, |c| !c.node(4).status().is_voter));
    let _old = c.crash(4);
    let mut cfg = support::dynamic::config(4, &[1, 2, 3]);
    cfg.directory_id = directory_id(4, 1);
    cfg.auto_join = true;
    // Formatted anew with `--no-initial-controllers`: no control entries on its disk at all.
    let node =
        kraft_engine::RaftNode::new(cfg, kraft_engine::RestoredState::empty(), c.now, 77).unwrap();
    c.add(4, node);
    assert!(c.run_until(30_000, |c| c.node(4).status().is_voter));
    let leader = c.leader().unwrap();
    assert_eq!(
        c.node(leader)
            .voter_set()
            .get(4)
            .map(|v| v.key.directory_id),
        Some(directory_id(4, 1))
    );
}

/// An observer whose fetch timed out asks a bootstrap server who leads; when that server is
/// unreachable it goes back to the leader instead of asking the dead server forever (which
/// also kept it from sending its auto-join AddRaftVoter, only ever sent to the leader).
#[test]
fn an_observer_gives_up_an_unreachable_rediscovery_target() {
    use kraft_engine::io::RequestError;
    use kraft_engine::message::Records;
    use kraft_engine::{ElectionState, Input};
    use support::solo::{fetch_response, sent, Solo};
    let restored = kraft_engine::RestoredState {
        election: ElectionState {
            epoch: 4,
            leader_id: Some(2),
            voted_key: None,
        },
        ..support::dynamic::restored(&[1, 2, 3])
    };
    let (mut s, _) = Solo::new(support::dynamic::config(4, &[1, 2, 3]), restored);
    assert_eq!(s.state(), StateName::Follower);
    let correlation_id = s.in_flight_id(2);
    s.step(Input::Response {
        from: 2,
        correlation_id,
        response: Response::Fetch(fetch_response(2, 4, 0, Records::Empty)),
    });
    // The leader goes silent past the fetch timeout: the observer asks a bootstrap server.
    let out = s.tick_to(s.now + 2_500);
    let to_bootstrap: Vec<i32> = sent(&out).into_iter().map(|(to, _)| to).collect();
    let Some(&target) = to_bootstrap.iter().find(|&&to| to < -1) else {
        panic!("no Fetch to a bootstrap server: {to_bootstrap:?}")
    };
    let correlation_id = s.in_flight_id(target);
    s.step(Input::RequestFailed {
        to: target,
        correlation_id,
        error: RequestError::Disconnected,
    });
    let out = s.tick_to(s.now + 100);
    assert!(
        sent(&out)
            .iter()
            .any(|(to, r)| *to == 2 && matches!(r, Request::Fetch(_))),
        "back to fetching from the leader: {:?}",
        sent(&out)
    );
}
