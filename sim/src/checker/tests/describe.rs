//! DescribeQuorum answers: hand-built histories.

use super::*;

#[test]
fn wrong_describe_quorum_is_reported() {
    let expected = DescribeExpectation {
        epoch: 4,
        high_watermark: 10,
        voter_set: vec![1, 2, 3],
        fetching_observers: vec![4],
    };
    let good = DescribeView {
        leader_id: 1,
        leader_epoch: 4,
        high_watermark: 10,
        voters: vec![1, 2, 3],
        observers: vec![4],
    };
    let mut checker = Checker::new();
    checker.check_describe_quorum(0, 1, &expected, &good);
    assert_eq!(checker.violation_count(), 0);
    let broken = [
        DescribeView {
            leader_id: 2,
            ..good.clone()
        },
        DescribeView {
            high_watermark: 9,
            ..good.clone()
        },
        DescribeView {
            high_watermark: 11,
            ..good.clone()
        },
        DescribeView {
            voters: vec![2, 3],
            ..good.clone()
        },
        DescribeView {
            observers: vec![],
            ..good.clone()
        },
        DescribeView {
            observers: vec![4, 2],
            ..good.clone()
        },
    ];
    for (k, view) in broken.iter().enumerate() {
        checker.check_describe_quorum(1, 1, &expected, view);
        assert_eq!(checker.violation_count(), k as u64 + 1, "{view:?}");
    }
    assert!(checker.has(Invariant::DescribeQuorum));
}
