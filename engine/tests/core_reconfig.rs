//! Dynamic quorums (KIP-853, kraft.version 1) in the core, each scenario against Kafka's rules:
//! the voter set from the bootstrap checkpoint and the log, the leader's start-of-epoch records,
//! observers finding the leader through the bootstrap servers, and the voter-set history
//! following the log (effective when appended, rolled back on truncation).

mod support;

use kraft_engine::StateName;
use kraft_records::{parse_control_record, BatchIter, ControlRecord};
use support::dynamic::{key, voter_set};
use support::Cluster;

/// The control record types of the batch at `index` of node `id`'s log.
fn control_types(c: &Cluster, id: i32, index: usize) -> Vec<&'static str> {
    let bytes = c.peer(id).log[index].bytes.clone();
    let batch = BatchIter::new(&bytes).next().unwrap().unwrap();
    assert!(batch.header.is_control());
    batch
        .records()
        .map(|r| match parse_control_record(&r.unwrap()).unwrap() {
            ControlRecord::LeaderChange(_) => "LeaderChange",
            ControlRecord::KRaftVersion { .. } => "KRaftVersion",
            ControlRecord::KRaftVoters(_) => "Voters",
            _ => "other",
        })
        .collect()
}

/// Kafka's `appendStartOfEpochControlRecords` (4.4): the first leader of a quorum formatted
/// with `--standalone` writes LeaderChange, KRaftVersion and Voters in one batch (the voter set
/// came from the bootstrap checkpoint, offset -1), then commits.
#[test]
fn standalone_leader_writes_kraft_version_and_voters_at_epoch_start() {
    let mut c = Cluster::new_dynamic(&[1], &[1]);
    assert!(c.run_until(5_000, |c| c.node(1).high_watermark().is_some()));
    let status = c.node(1).status();
    assert_eq!(status.state, StateName::Leader);
    assert_eq!(status.kraft_version, 1);
    assert_eq!(status.voters, vec![key(1)]);
    assert_eq!(
        control_types(&c, 1, 0),
        vec!["LeaderChange", "KRaftVersion", "Voters"]
    );
    assert_eq!(c.node(1).kraft_control_at(2), (1, Some(voter_set(&[1]))));
    assert_eq!(c.node(1).kraft_control_at(-1).1, Some(voter_set(&[1])));
    assert_eq!(c.node(1).kraft_control_at(-2), (0, None));
    let epoch = status.epoch;
    let offset = c.append(1, epoch, b"x").unwrap();
    assert_eq!(offset, 3, "the epoch's batch holds three records");
    assert!(c.run_until(1_000, |c| c.node(1).high_watermark() == Some(4)));
}

/// A later epoch whose voter set is already in the log (and up to date) writes only the
/// LeaderChange, as Kafka does.
#[test]
fn a_restarted_leader_with_voters_in_the_log_writes_only_leader_change() {
    let mut c = Cluster::new_dynamic(&[1], &[1]);
    assert!(c.run_until(5_000, |c| c.node(1).high_watermark().is_some()));
    let peer = c.crash(1);
    let cfg = support::dynamic::config(1, &[1]);
    c.restart_with(1, peer, cfg, support::dynamic::bootstrap_entries(&[1]), 99);
    assert!(c.run_until(5_000, |c| c.node(1).status().state == StateName::Leader));
    let last = c.peer(1).log.len() - 1;
    assert_eq!(control_types(&c, 1, last), vec!["LeaderChange"]);
    assert_eq!(c.node(1).status().voters, vec![key(1)]);
}

/// Three initial controllers elect a leader over the bootstrap voter set; an observer formatted
/// with `--no-initial-controllers` finds the leader through the bootstrap servers (ids -2,
/// -3, ...), fetches from it and learns the voter set from the replicated Voters record.
#[test]
fn observer_finds_the_leader_through_bootstrap_servers_and_learns_the_voters() {
    let mut c = Cluster::new_dynamic(&[1, 2, 3, 4], &[1, 2, 3]);
    assert!(c.run_until(10_000, |c| c.leader().is_some()));
    let leader = c.leader().unwrap();
    assert!(c.run_until(5_000, |c| {
        let s = c.node(4).status();
        s.state == StateName::Follower && s.leader_id == Some(leader) && s.high_watermark.is_some()
    }));
    let observer = c.node(4).status();
    assert!(!observer.is_voter);
    assert_eq!(observer.kraft_version, 1);
    assert_eq!(c.voters_of(4), vec![1, 2, 3]);
    let epoch = c.node(leader).status().epoch;
    let offset = c.append(leader, epoch, b"v").unwrap();
    assert!(c.run_until(2_000, |c| c.peer(4).log_end_offset() > offset));
    assert_eq!(
        c.node(4).status().state,
        StateName::Follower,
        "an observer never elects"
    );
}
