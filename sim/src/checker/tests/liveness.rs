//! Liveness windows: hand-built histories.

use super::*;

#[test]
fn no_progress_while_calm_is_reported() {
    let a = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
    let mut checker = Checker::new();
    checker.begin_calm(1_000, 5_000);
    checker.on_workload_append(5);
    checker.check_liveness(2_000);
    checker.on_high_watermark(2_500, 1, 10, &a);
    checker.check_liveness(2_500);
    assert_eq!(checker.violation_count(), 0);
    assert_eq!(checker.liveness_windows_passed(), 1);

    checker.begin_calm(10_000, 5_000);
    checker.on_workload_append(10);
    checker.check_liveness(15_000);
    assert_eq!(checker.violation_count(), 0, "deadline not passed yet");
    checker.check_liveness(15_001);
    assert!(checker.has(Invariant::Liveness));
}

#[test]
fn a_fault_cancels_the_liveness_window() {
    let mut checker = Checker::new();
    checker.begin_calm(0, 100);
    checker.end_calm();
    checker.check_liveness(1_000);
    assert_eq!(checker.violation_count(), 0);
}
