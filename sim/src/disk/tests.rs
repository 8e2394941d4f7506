//! Unit tests of the simulated disk: appends, hashes, flushes, truncation, crashes, recovery
//! and quorum-state writes.

use super::*;
use crate::rng::SimRng;

fn batch_bytes(tag: u8, len: usize) -> Bytes {
    Bytes::from(vec![tag; len])
}

fn disk_with(batches: &[(i64, i64, i32)]) -> SimDisk<u32> {
    let mut disk = SimDisk::new();
    for (i, &(base, last, epoch)) in batches.iter().enumerate() {
        disk.append(base, last, epoch, batch_bytes(i as u8 + 1, 20))
            .unwrap();
    }
    disk
}

#[test]
fn append_checks_contiguity_and_epochs() {
    let mut disk = disk_with(&[(0, 4, 1), (5, 5, 1), (6, 9, 2)]);
    assert_eq!(disk.end_offset(), 10);
    assert_eq!(disk.last_epoch(), 2);
    assert_eq!(disk.epoch_start_offsets(), vec![(1, 0), (2, 6)]);
    assert_eq!(
        disk.append(11, 12, 2, batch_bytes(9, 5)).unwrap_err(),
        StorageError::NonContiguousAppend {
            base_offset: 11,
            log_end_offset: 10
        }
    );
    assert!(matches!(
        disk.append(10, 12, 1, batch_bytes(9, 5)),
        Err(StorageError::EpochDecrease { .. })
    ));
    assert!(matches!(
        disk.append(10, 9, 2, batch_bytes(9, 5)),
        Err(StorageError::EmptyOffsetRange { .. })
    ));
    assert_eq!(disk.batch_containing(7).unwrap().base_offset, 6);
    assert!(disk.batch_containing(10).is_none());
}

#[test]
fn content_hash_sees_every_byte() {
    let base: Vec<u8> = (0..37u8).collect();
    let reference = content_hash(&base);
    for i in 0..base.len() {
        let mut changed = base.clone();
        changed[i] ^= 1;
        assert_ne!(content_hash(&changed), reference, "byte {i}");
    }
    assert_ne!(content_hash(&base[..36]), reference, "length matters");
    assert_ne!(content_hash(&[0u8; 8]), content_hash(&[0u8; 9]));
}

#[test]
fn prefix_hash_depends_on_whole_prefix() {
    let a = disk_with(&[(0, 4, 1), (5, 9, 1)]);
    let mut b = SimDisk::<u32>::new();
    b.append(0, 4, 1, batch_bytes(7, 20)).unwrap();
    b.append(5, 9, 1, batch_bytes(2, 20)).unwrap();
    assert_eq!(a.batches()[1].bytes, b.batches()[1].bytes);
    assert_ne!(
        a.prefix_hash(),
        b.prefix_hash(),
        "same last batch, different prefix"
    );
}

#[test]
fn flush_truncate_and_read_range() {
    let mut disk = disk_with(&[(0, 4, 1), (5, 5, 1), (6, 9, 2)]);
    assert_eq!(disk.flushed_end_offset(), 0);
    assert_eq!(disk.complete_flush(6), 6);
    assert!(disk.durable_batch_containing(5).is_some());
    assert!(disk.durable_batch_containing(6).is_none());
    // A flush up to the middle of a batch covers the whole batch.
    assert_eq!(disk.complete_flush(8), 10);
    assert_eq!(disk.read_range(0, 1).len(), 20, "at least one batch");
    assert_eq!(disk.read_range(5, 40).len(), 40);
    assert_eq!(
        disk.read_range(7, 1000).len(),
        20,
        "starts at the containing batch"
    );
    assert!(disk.read_range(10, 1000).is_empty());
    assert!(matches!(
        disk.truncate(7),
        Err(StorageError::TruncateInsideBatch { .. })
    ));
    assert_eq!(disk.end_offset(), 6);
    assert_eq!(disk.flushed_end_offset(), 6);
    disk.truncate(5).unwrap();
    assert_eq!(disk.end_offset(), 5);
}

#[test]
fn fsync_covers_what_its_ticket_held_and_nothing_after_a_truncation() {
    let mut disk = disk_with(&[(0, 4, 1), (5, 5, 1)]);
    let ticket = disk.prepare_flush();
    disk.append(6, 9, 2, batch_bytes(3, 20)).unwrap();
    disk.sync(ticket);
    assert_eq!(
        disk.flushed_end_offset(),
        6,
        "the append after the ticket is not covered"
    );
    assert_eq!(disk.record_flush(ticket), 6);
    let late = disk.prepare_flush();
    disk.truncate(6).unwrap();
    disk.append(6, 7, 3, batch_bytes(4, 20)).unwrap();
    disk.sync(late);
    assert_eq!(
        disk.record_flush(late),
        6,
        "a ticket from before the cut covers nothing"
    );
    assert_eq!(disk.flushed_end_offset(), 6);
}

#[test]
fn crash_loses_unflushed_data_and_recovery_drops_torn_tail() {
    let config = CrashConfig {
        torn_write_probability: 1.0,
        unflushed_survive_probability: 0.0,
    };
    let mut rng = SimRng::new(5);
    let mut disk = disk_with(&[(0, 4, 1), (5, 5, 1)]);
    disk.complete_flush(5);
    disk.append(6, 9, 2, batch_bytes(3, 30)).unwrap();
    disk.persist_quorum_state(11);
    let report = disk.crash(&mut rng, &config);
    assert_eq!(report.lost_batches, 2);
    assert_eq!(disk.end_offset(), 5);
    assert_eq!(
        disk.quorum_state(),
        Some(&11),
        "quorum-state writes are durable"
    );
    let tail = disk.torn_tail().expect("torn write left behind").to_vec();
    assert!(!tail.is_empty());
    assert_ne!(&tail[..], &[2u8; 20][..], "the fragment is damaged");
    let recovered = disk.recover(|_| 0);
    assert_eq!(recovered.dropped_tail_bytes, tail.len());
    assert!(disk.torn_tail().is_none());
}

#[test]
fn a_quorum_state_write_is_durable_only_when_complete_and_a_crash_loses_it() {
    let mut rng = SimRng::new(5);
    let mut disk: SimDisk<u32> = SimDisk::new();
    disk.begin_quorum_state_write(1);
    assert_eq!(disk.quorum_state(), None, "not durable while in flight");
    assert_eq!(disk.complete_quorum_state_write(), Some(1));
    assert_eq!(disk.quorum_state(), Some(&1));
    assert_eq!(disk.complete_quorum_state_write(), None, "none in flight");
    disk.begin_quorum_state_write(2);
    let report = disk.crash(&mut rng, &CrashConfig::default());
    assert!(report.lost_quorum_state_write);
    assert_eq!(disk.quorum_state(), Some(&1), "the old file stays");
    assert_eq!(disk.complete_quorum_state_write(), None, "lost");
}

#[test]
fn torn_real_batches_never_pass_recovery_validation() {
    let config = CrashConfig {
        torn_write_probability: 1.0,
        unflushed_survive_probability: 0.0,
    };
    let valid_prefix_len = |buf: &[u8]| {
        let mut iter = kraft_records::BatchIter::new(buf);
        for item in iter.by_ref() {
            if item.is_err() {
                break;
            }
        }
        iter.position()
    };
    for seed in 0..300 {
        let mut rng = SimRng::new(seed);
        let mut bytes = Vec::new();
        let mut builder = kraft_records::BatchBuilder::new(&mut bytes, 0, 3, 1_000);
        for k in 0..1 + seed % 5 {
            builder.append_value(&[k as u8; 40]);
        }
        let header = builder.finish();
        let mut disk = SimDisk::<u32>::new();
        disk.append(0, header.last_offset(), 3, Bytes::from(bytes))
            .unwrap();
        disk.crash(&mut rng, &config);
        let tail = disk.torn_tail().expect("torn write").to_vec();
        assert_eq!(
            valid_prefix_len(&tail),
            0,
            "seed {seed}: torn batch validated"
        );
        assert_eq!(disk.recover(valid_prefix_len).dropped_whole_batch_bytes, 0);
    }
}

#[test]
fn crash_can_keep_unflushed_batches_when_configured() {
    let config = CrashConfig {
        torn_write_probability: 0.0,
        unflushed_survive_probability: 1.0,
    };
    let mut kept_some = false;
    for seed in 0..20 {
        let mut rng = SimRng::new(seed);
        let mut disk = disk_with(&[(0, 0, 1), (1, 1, 1), (2, 2, 1), (3, 3, 1)]);
        let report = disk.crash(&mut rng, &config);
        assert_eq!(report.lost_batches + report.survived_unflushed_batches, 4);
        assert_eq!(disk.flushed_end_offset(), disk.end_offset());
        kept_some |= report.survived_unflushed_batches > 0;
    }
    assert!(kept_some);
}
