//! End-to-end scenarios of whole quorums on the deterministic test driver.

mod support;

use kraft_engine::{Input, LeaderAndEpoch, ListenerEvent, Output, StateName};
use kraft_records::{parse_control_record, BatchIter, ControlRecord};
use support::Cluster;

/// Raft §5.2 / KRaft: a sole voter becomes candidate at startup and wins at once; its first
/// record is a LeaderChange control batch; appends commit once flushed (spec 5.1 flush rule).
#[test]
fn single_voter_elects_itself_writes_leader_change_and_commits() {
    let mut c = Cluster::new(&[1], &[1]);
    c.auto_flush = false;
    let status = c.node(1).status();
    assert_eq!(status.state, StateName::Leader);
    assert_eq!(status.epoch, 1);
    // Persist came before the LeaderChange append.
    let trace = &c.peer(1).trace;
    let persist_pos = trace
        .iter()
        .position(|o| matches!(o, Output::PersistElectionState(e) if e.leader_id == Some(1)))
        .expect("leadership persisted");
    let append_pos = trace
        .iter()
        .position(|o| matches!(o, Output::AppendBatch { .. }))
        .expect("LeaderChange appended");
    assert!(persist_pos < append_pos);
    let batch_bytes = c.peer(1).log[0].bytes.clone();
    let batch = BatchIter::new(&batch_bytes).next().unwrap().unwrap();
    assert!(batch.header.is_control());
    assert_eq!(batch.header.partition_leader_epoch, 1);
    let record = batch.records().next().unwrap().unwrap();
    match parse_control_record(&record).unwrap() {
        ControlRecord::LeaderChange(m) => {
            assert_eq!(m.leader_id, 1);
            assert_eq!(m.voters, vec![1]);
            assert_eq!(m.granting_voters, vec![1]);
        }
        other => panic!("expected LeaderChange, got {other:?}"),
    }

    c.step(1, Input::RegisterListener(7));
    // Nothing committed before the flush: no HW, and no "you lead" before catching up.
    assert_eq!(c.node(1).high_watermark(), None);
    assert!(c.peer(1).events.is_empty());

    c.step(
        1,
        Input::LogFlushed {
            flushed_end_offset: 1,
            generation: 0,
        },
    );
    assert_eq!(c.node(1).high_watermark(), Some(1));
    assert_eq!(c.peer(1).commits(7), vec![(0, 1)]);
    assert_eq!(
        c.peer(1).leader_changes(7),
        vec![LeaderAndEpoch {
            leader_id: Some(1),
            epoch: 1
        }]
    );
    // The commit is delivered before the leader change (listener caught up first).
    let kinds: Vec<bool> = c
        .peer(1)
        .events
        .iter()
        .map(|(_, e)| matches!(e, ListenerEvent::Commit { .. }))
        .collect();
    assert_eq!(kinds, vec![true, false]);

    assert_eq!(c.append(1, 1, b"hello").unwrap(), 1);
    assert_eq!(c.append(1, 1, b"world").unwrap(), 2);
    assert!(c.append(1, 2, b"stale epoch").is_err());
    // Linger: nothing reaches the log before 25 ms.
    assert_eq!(c.peer(1).log.len(), 1);
    c.now += 25;
    let now = c.now;
    c.peers.get_mut(&1).unwrap().node.tick(now);
    c.drain(1);
    assert_eq!(c.peer(1).log.len(), 2);
    assert_eq!(c.peer(1).log[1].base_offset, 1);
    assert_eq!(c.peer(1).log[1].last_offset, 2);
    assert_eq!(
        c.node(1).high_watermark(),
        Some(1),
        "unflushed data is not committed"
    );
    c.step(
        1,
        Input::LogFlushed {
            flushed_end_offset: 3,
            generation: 0,
        },
    );
    assert_eq!(c.node(1).high_watermark(), Some(3));
    assert_eq!(c.peer(1).commits(7), vec![(0, 1), (1, 3)]);
}

/// Raft §5.2 (election) and §5.3 (replication through Fetch): three voters elect one leader,
/// which replicates and commits on a majority; followers learn the HW and notify listeners.
#[test]
fn three_voters_elect_and_replicate_through_fetch() {
    let mut c = Cluster::new(&[1, 2, 3], &[1, 2, 3]);
    assert!(c.run_until(10_000, |c| c.leader().is_some()));
    let leader = c.leader().unwrap();
    let epoch = c.node(leader).status().epoch;
    for id in [1, 2, 3] {
        c.step(id, Input::RegisterListener(1));
    }
    assert!(c.run_until(5_000, |c| [1, 2, 3]
        .iter()
        .all(|&id| c.node(id).high_watermark() >= Some(1))));
    let mut offsets = Vec::new();
    for i in 0..10u8 {
        offsets.push(c.append(leader, epoch, &[i; 100]).unwrap());
    }
    assert!(c.run_until(5_000, |c| [1, 2, 3]
        .iter()
        .all(|&id| c.node(id).high_watermark() >= Some(11))));
    for id in [1, 2, 3] {
        let p = c.peer(id);
        assert_eq!(p.log_end_offset(), 11, "node {id}");
        // Commits are contiguous from 0 and reach the HW.
        let commits = p.commits(1);
        let mut next = 0;
        for (from, to) in &commits {
            assert_eq!(*from, next);
            next = *to;
        }
        assert!(next >= 11);
        // Every listener learned the same leader.
        assert_eq!(
            p.leader_changes(1).last().copied(),
            Some(LeaderAndEpoch {
                leader_id: Some(leader),
                epoch
            })
        );
        // Logs are identical (log matching).
        let bytes: Vec<_> = p.log.iter().map(|b| b.bytes.clone()).collect();
        let leader_bytes: Vec<_> = c.peer(leader).log.iter().map(|b| b.bytes.clone()).collect();
        assert_eq!(bytes, leader_bytes);
    }
    assert_eq!(offsets, (1..=10).collect::<Vec<i64>>());
}

/// Raft §5.2 liveness after leader failure: the remaining majority elects a new leader in a
/// higher epoch, and the old leader's committed records survive (leader completeness, §5.4).
#[test]
fn majority_elects_new_leader_after_leader_isolation() {
    let mut c = Cluster::new(&[1, 2, 3], &[1, 2, 3]);
    assert!(c.run_until(10_000, |c| c.leader().is_some()));
    let old = c.leader().unwrap();
    let epoch = c.node(old).status().epoch;
    c.append(old, epoch, b"committed").unwrap();
    assert!(c.run_until(5_000, |c| [1, 2, 3]
        .iter()
        .all(|&id| c.node(id).high_watermark() >= Some(2))));
    c.isolated.insert(old);
    assert!(c.run_until(20_000, |c| {
        c.peers
            .iter()
            .any(|(&id, p)| id != old && p.node.status().state == StateName::Leader)
    }));
    let new = c
        .peers
        .iter()
        .find(|(&id, p)| id != old && p.node.status().state == StateName::Leader)
        .map(|(&id, _)| id)
        .unwrap();
    assert!(c.node(new).status().epoch > epoch);
    // The isolated leader resigns by check quorum.
    assert!(c.run_until(10_000, |c| c.node(old).status().state != StateName::Leader));
    c.isolated.clear();
    let new_epoch = c.node(new).status().epoch;
    assert!(
        c.run_until(10_000, |c| c.node(old).status().epoch == new_epoch
            && c.node(old).status().state == StateName::Follower)
    );
    assert!(c.run_until(5_000, |c| c.node(old).high_watermark()
        == c.node(new).high_watermark()));
    // Record at offset 1 (epoch `epoch`) is still there on every node.
    for id in [1, 2, 3] {
        let b = c
            .peer(id)
            .log
            .iter()
            .find(|b| b.base_offset <= 1 && b.last_offset >= 1)
            .unwrap();
        assert_eq!(b.epoch, epoch);
    }
}
