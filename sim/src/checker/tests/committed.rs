//! The committed log and its durability: hand-built histories.

use super::*;

#[test]
fn committed_record_changed_is_reported() {
    let a = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
    let b = log(&[(0, 4, 1, 1), (5, 9, 2, 9)]);
    let mut checker = Checker::new();
    checker.on_high_watermark(0, 1, 10, &a);
    checker.on_listener_registered(2, 0);
    checker.on_listener_commit(1, 2, 0, 0, 5, &b);
    assert_eq!(checker.violation_count(), 0, "agreeing prefix is fine");
    checker.on_listener_commit(2, 2, 0, 5, 10, &b);
    assert!(checker.has(Invariant::CommittedLost));
}

#[test]
fn committed_record_lost_in_a_crash_is_reported() {
    let mut rng = crate::rng::SimRng::new(1);
    let crash = crate::disk::CrashConfig {
        torn_write_probability: 0.0,
        unflushed_survive_probability: 0.0,
    };
    // Node 1 reports HW 10 while only it has flushed offsets 5..9: nodes 2 and 3 hold them
    // unflushed (they acknowledged before fsync). Fine until they crash.
    let n1 = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
    let mut n2 = log(&[(0, 4, 1, 1)]);
    let mut n3 = log(&[(0, 4, 1, 1)]);
    for d in [&mut n2, &mut n3] {
        d.append(5, 9, 1, Bytes::from(vec![2u8; 16])).unwrap();
    }
    let mut checker = Checker::new();
    checker.on_high_watermark(0, 1, 5, &n1);
    checker.check_durability(0, &[(1, &n1), (2, &n2), (3, &n3)]);
    assert_eq!(checker.violation_count(), 0);
    checker.on_high_watermark(1, 1, 10, &n1);
    n2.crash(&mut rng, &crash);
    n3.crash(&mut rng, &crash);
    checker.on_crash(2);
    checker.on_crash(3);
    checker.check_durability(2, &[(1, &n1), (2, &n2), (3, &n3)]);
    assert!(checker.has(Invariant::CommittedLost));
}
