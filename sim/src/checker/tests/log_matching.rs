//! Log matching: hand-built histories.

use super::*;

#[test]
fn same_offset_and_epoch_with_different_prefix_is_reported() {
    let a = log(&[(0, 4, 1, 1), (5, 9, 2, 2)]);
    let same = log(&[(0, 4, 1, 1), (5, 9, 2, 2)]);
    let mut checker = Checker::new();
    append_all(&mut checker, 1, &a);
    append_all(&mut checker, 2, &same);
    assert_eq!(checker.violation_count(), 0);

    // Same last batch bytes, but a different first batch: prefixes differ.
    let b = log(&[(0, 4, 1, 7), (5, 9, 2, 2)]);
    append_all(&mut checker, 3, &b);
    assert!(checker.has(Invariant::LogMatching));
}

#[test]
fn overlapping_batches_of_one_epoch_are_reported() {
    let mut checker = Checker::new();
    append_all(&mut checker, 1, &log(&[(0, 4, 1, 1), (5, 9, 1, 2)]));
    assert_eq!(checker.violation_count(), 0);
    append_all(
        &mut checker,
        2,
        &log(&[(0, 4, 1, 1), (5, 6, 1, 3), (7, 9, 1, 4)]),
    );
    assert!(checker.has(Invariant::LogMatching));
}
