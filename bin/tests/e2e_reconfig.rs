//! Issue 16 on real processes, under the perf workload: a dynamic quorum (KIP-853) grows from
//! one voter to three and five with `kraft-quorum add-controller`, the leader is killed with
//! `kill -9` while a voter is being added (the tool is retried, bounded, as the leader moves),
//! shrinks back to three with `remove-controller` (a removed voter keeps running and must not
//! disrupt the quorum), replaces a member whose disk was wiped (its old replica key removed, the
//! directory formatted anew: a new directory id, added again). Auto-join is in
//! e2e_reconfig_auto_join.rs.
//!
//! Durability is judged against history as in e2e_three_nodes: what the leader reported committed
//! (its high watermark, its log below it read by the independent spec reader) must be on every
//! voter at the end, byte for byte.

mod support;

use kraft_interop::dynamic::{DynamicQuorum, Tool};
use kraft_interop::format::Formatting;
use kraft_interop::tools::summarize;
use kraft_interop::Kind;
use std::time::{Duration, Instant};
use support::{poll, read_live_log, server_binary, History};

const WORKLOAD: (u32, u32) = (1000, 128);
const VOTERS: Duration = Duration::from_secs(30);
const LOGS_REACH: Duration = Duration::from_secs(30);

fn config() -> String {
    "controller.quorum.append.linger.ms=5\n".to_string()
}

fn quorum() -> DynamicQuorum {
    let kinds = [Kind::Rust; 5];
    let mut q = DynamicQuorum::new(server_binary(), None, &kinds, &config(), WORKLOAD);
    q.format(1, &Formatting::Standalone);
    for id in 2..=5 {
        q.format(id, &Formatting::NoInitialControllers);
    }
    q
}

/// The leader prints report lines: the workload runs there.
fn wait_workload(q: &mut DynamicQuorum, leader: i32) {
    let before = q.get(leader).report_lines();
    let resumed = poll(Duration::from_secs(15), || {
        (q.get(leader).report_lines() > before).then_some(())
    });
    assert!(
        resumed.is_some(),
        "the workload does not run on leader {leader}\n{}",
        q.diagnostics()
    );
}

/// Adds member `id` and kills the leader with `kill -9` while the change is uncommitted: the
/// leader's followers are frozen (SIGSTOP) first, so the Voters record the leader appends for the
/// add cannot commit; once it is in the leader's log the leader is killed and the followers
/// thawed. They elect a new leader (the appended set is in force only where it was appended: the
/// new voter's log may hold it and be truncated), and the add is retried (bounded) until the new
/// leader reports `id` as a voter. The killed member restarts and rejoins.
fn add_while_killing_leader(q: &mut DynamicQuorum, id: i32, history: &mut History) {
    let status = q.status().expect("a leader");
    let leader = status.leader_id;
    q.record_committed(history);
    let followers: Vec<i32> = status
        .voter_ids()
        .into_iter()
        .filter(|&v| v != leader)
        .collect();
    for &f in &followers {
        q.get(f).pause();
    }
    let leader_dir = q.get(leader).partition_dir();
    let end = read_live_log(&leader_dir)
        .last()
        .map_or(0, |b| b.last_offset + 1);
    let tool = q.tool.clone();
    let (bootstrap, config) = (q.rust_bootstrap(), q.get(id).config_path());
    let first = std::thread::spawn(move || tool.add_controller(&bootstrap, &config));
    let appended = poll(Duration::from_secs(10), || {
        read_live_log(&leader_dir)
            .iter()
            .find(|b| b.base_offset >= end && b.is_control())
            .map(|b| b.base_offset)
    });
    q.member(leader).kill();
    for &f in &followers {
        q.get(f).resume();
    }
    let Some(at) = appended else {
        panic!(
            "leader {leader} appended no Voters record for member {id} within 10 s\n{}",
            q.diagnostics()
        );
    };
    let started = Instant::now();
    let first = first.join().expect("the tool's thread");
    eprintln!(
        "leader {leader} (epoch {}) killed with its uncommitted add of {id} at offset {at}, \
         followers {followers:?} frozen; the tool:\n{}",
        status.leader_epoch,
        summarize(std::slice::from_ref(&first))
    );
    let new = poll(VOTERS, || {
        q.status()
            .filter(|s| s.leader_id != leader && s.leader_epoch > status.leader_epoch)
    });
    let Some(new) = new else {
        panic!(
            "no new leader within {VOTERS:?} after kill -9 of leader {leader}\n{}",
            q.diagnostics()
        );
    };
    eprintln!(
        "leader {} in epoch {} after {:?}; voters {:?}",
        new.leader_id,
        new.leader_epoch,
        started.elapsed(),
        new.voter_ids()
    );
    q.member(leader).start();
    q.add_voter(id, Tool::Ours);
    let now = q.status().expect("a leader").leader_id;
    wait_workload(q, now);
}

/// Kills member `id` and wipes its disk, removes its old replica key, formats it anew (a new
/// directory id), starts it and adds it again.
fn replace_wiped(q: &mut DynamicQuorum, id: i32, voters: &[i32]) {
    let old = q.get(id).directory_id.clone();
    q.member(id).kill();
    q.member(id).wipe();
    q.remove_voter(id, &old, Tool::Ours);
    let rest: Vec<i32> = voters.iter().copied().filter(|&v| v != id).collect();
    q.wait_voters(&rest, VOTERS);
    q.format(id, &Formatting::NoInitialControllers);
    let new = q.get(id).directory_id.clone();
    assert_ne!(new, old, "formatting anew kept the directory id");
    q.member(id).start();
    q.add_voter(id, Tool::Ours);
    let status = q.wait_voters(voters, VOTERS);
    assert_eq!(status.voter_directory_id(id), Some(new.as_str()));
    eprintln!("member {id} replaced: directory id {old} -> {new}");
}

/// A removed member that keeps running must not disrupt the quorum: over two fetch timeouts it
/// starts no election (no pre-vote, no candidacy: our status lines `became Prospective` /
/// `became Candidate`). Returns the leader's status afterwards.
fn removed_member_stays_quiet(
    q: &mut DynamicQuorum,
    id: i32,
    shrunk: &kraft_interop::tools::QuorumStatus,
) -> kraft_interop::tools::QuorumStatus {
    let seen = q.get(id).stderr().len();
    std::thread::sleep(Duration::from_secs(4));
    assert!(q.member(id).is_running(), "the removed member {id} exited");
    let text = q.get(id).stderr();
    let since = text.get(seen..).unwrap_or_default();
    let elections: Vec<&str> = since
        .lines()
        .filter(|l| l.contains("became Prospective") || l.contains("became Candidate"))
        .collect();
    assert!(
        elections.is_empty(),
        "the removed member {id} started elections: {elections:#?}\n{}",
        q.diagnostics()
    );
    let later = q.status().expect("a leader after the shrink");
    if (later.leader_id, later.leader_epoch) != (shrunk.leader_id, shrunk.leader_epoch) {
        eprintln!("the leader moved after the shrink (not by member {id}): {later:?}");
    }
    later
}

#[test]
fn dynamic_quorum_grows_shrinks_and_replaces_a_wiped_disk() {
    let started = Instant::now();
    let mut q = quorum();
    let mut history = History::new();
    q.member(1).start();
    let solo = q.wait_voters(&[1], VOTERS);
    assert_eq!(solo.leader_id, 1);
    wait_workload(&mut q, 1);

    // Grow 1 -> 3 (observers first: a new voter must have caught up).
    for id in [2, 3] {
        q.member(id).start();
    }
    q.add_voter(2, Tool::Ours);
    q.wait_voters(&[1, 2], VOTERS);
    q.add_voter(3, Tool::Ours);
    q.wait_voters(&[1, 2, 3], VOTERS);
    q.record_committed(&mut history);
    q.check_history(&history, &[1, 2, 3], LOGS_REACH);

    // Grow 3 -> 5, the leader killed while voter 4 is added.
    for id in [4, 5] {
        q.member(id).start();
    }
    add_while_killing_leader(&mut q, 4, &mut history);
    q.add_voter(5, Tool::Ours);
    q.wait_voters(&[1, 2, 3, 4, 5], VOTERS);
    q.record_committed(&mut history);
    q.check_history(&history, &[1, 2, 3, 4, 5], LOGS_REACH);

    // Shrink 5 -> 3; member 5 keeps running, removed: it must not disrupt the quorum.
    for id in [5, 4] {
        let directory_id = q.get(id).directory_id.clone();
        q.remove_voter(id, &directory_id, Tool::Ours);
    }
    let shrunk = q.wait_voters(&[1, 2, 3], VOTERS);
    q.member(4).terminate();
    let later = removed_member_stays_quiet(&mut q, 5, &shrunk);

    // Replace a member whose disk died (not the leader: its removal would make it resign).
    let victim = [1, 2, 3]
        .into_iter()
        .find(|&id| id != later.leader_id)
        .expect("a follower");
    replace_wiped(&mut q, victim, &[1, 2, 3]);
    q.record_committed(&mut history);

    let final_status = q.wait_voters(&[1, 2, 3], VOTERS);
    q.record_committed(&mut history);
    q.check_history(&history, &[1, 2, 3], LOGS_REACH);
    // Stop followers first, then the leader; each exits 0.
    let mut order: Vec<i32> = (1..=5).filter(|&id| id != final_status.leader_id).collect();
    order.push(final_status.leader_id);
    for id in order {
        if q.member(id).is_running() {
            let status = q.member(id).terminate();
            assert!(
                status.is_some_and(|s| s.success()),
                "member {id} did not stop cleanly: {status:?}\n{}",
                q.diagnostics()
            );
        }
    }
    eprintln!(
        "{} committed batches up to offset {} on voters 1-3; the run took {:?}",
        history.len(),
        history.end_offset(),
        started.elapsed()
    );
}
