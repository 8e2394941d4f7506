//! Issue 16, auto-join (KIP-1186) on real processes under the perf workload: in a dynamic quorum
//! of one formatted voter and one voter added with `kraft-quorum add-controller`, a third member
//! formatted `--no-initial-controllers` with `controller.quorum.auto.join.enable=true` becomes a
//! voter by itself; after an operator's `remove-controller` it stays out while it keeps running
//! (KAFKA-19850, which Kafka 4.4 itself does not fix: a Kafka node would re-add itself within one
//! fetch timeout). Every batch recorded committed is on both remaining voters at the end.

mod support;

use kraft_interop::dynamic::{DynamicQuorum, Tool};
use kraft_interop::format::Formatting;
use kraft_interop::Kind;
use std::time::{Duration, Instant};
use support::{server_binary, History};

const WORKLOAD: (u32, u32) = (1000, 128);
const VOTERS: Duration = Duration::from_secs(30);
const LOGS_REACH: Duration = Duration::from_secs(30);
/// How long the removed member is watched for re-adding itself: four of its update-voter-set
/// periods (the fetch timeout, 2 s by default).
const NO_REJOIN: Duration = Duration::from_secs(8);

fn config() -> String {
    "controller.quorum.append.linger.ms=5\n".to_string()
}

#[test]
fn an_auto_joining_member_joins_by_itself_and_stays_out_once_removed() {
    let started = Instant::now();
    let mut q = DynamicQuorum::new(server_binary(), None, &[Kind::Rust; 3], &config(), WORKLOAD);
    let mut history = History::new();
    q.format(1, &Formatting::Standalone);
    q.format(2, &Formatting::NoInitialControllers);
    q.member(3).extra_config = format!("{}controller.quorum.auto.join.enable=true\n", config());
    q.format(3, &Formatting::NoInitialControllers);
    q.member(1).start();
    q.wait_voters(&[1], VOTERS);
    q.member(2).start();
    q.add_voter(2, Tool::Ours);
    q.wait_voters(&[1, 2], VOTERS);
    q.record_committed(&mut history);

    q.member(3).start();
    let joined = q.wait_voters(&[1, 2, 3], VOTERS);
    let directory_id = q.get(3).directory_id.clone();
    assert_eq!(joined.voter_directory_id(3), Some(directory_id.as_str()));
    eprintln!("member 3 joined by itself after {:?}", started.elapsed());
    q.record_committed(&mut history);
    q.check_history(&history, &[1, 2, 3], LOGS_REACH);

    q.remove_voter(3, &directory_id, Tool::Ours);
    let deadline = Instant::now() + NO_REJOIN;
    while Instant::now() < deadline {
        if let Some(s) = q.status() {
            assert!(
                !s.voter_ids().contains(&3),
                "member 3 re-added itself right after remove-controller (KAFKA-19850): \
                 {s:?}\n{}",
                q.diagnostics()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(q.member(3).is_running(), "the removed member 3 exited");
    eprintln!("member 3 stayed out for {NO_REJOIN:?} after its removal");

    let last = q.wait_voters(&[1, 2], VOTERS);
    q.record_committed(&mut history);
    q.check_history(&history, &[1, 2], LOGS_REACH);
    let mut order: Vec<i32> = (1..=3).filter(|&id| id != last.leader_id).collect();
    order.push(last.leader_id);
    for id in order {
        let status = q.member(id).terminate();
        assert!(
            status.is_some_and(|s| s.success()),
            "member {id} did not stop cleanly: {status:?}\n{}",
            q.diagnostics()
        );
    }
    eprintln!(
        "{} committed batches up to offset {} on voters 1-2; the run took {:?}",
        history.len(),
        history.end_offset(),
        started.elapsed()
    );
}
