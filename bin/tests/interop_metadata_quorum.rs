//! Kafka's operator tool against our nodes, and our tool against a quorum Kafka's node leads.
//!
//! - `kafka-metadata-quorum --bootstrap-controller MEMBER describe --status | --replication`
//!   (Kafka's `MetadataQuorumCommand`: DescribeCluster with endpoint type "controller", then
//!   DescribeQuorum for `__cluster_metadata`-0 to the active controller) against every member of
//!   a three-node Rust quorum, its output checked against our own `kraft-quorum` and the
//!   members' quorum-state files.
//! - `kraft-quorum describe` while Kafka's TestRaftServer leads (it serves no DescribeQuorum):
//!   the followers' view, a clear note and exit code 3; and against a Java follower listed
//!   first once a Rust node leads again.
//!
//! Runs against each Kafka version in `KRAFT_KAFKA_VERSIONS` (default: the newest 4.x); skips
//! loudly without Java or Maven, fails instead under `KRAFT_INTEROP_REQUIRED=1`.

mod support;

#[path = "support/metadata_quorum.rs"]
mod metadata_quorum;

use kraft_interop::kafka::versions_under_test;
use kraft_interop::{Kafka, Kind, Quorum, QuorumState};
use metadata_quorum::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::{poll, quorum_status, server_binary};

const WORKLOAD: (u32, u32) = (2000, 200);
const CONFIG: &str = "controller.quorum.append.linger.ms=5";
const ELECTION: Duration = Duration::from_secs(30);
const COMMIT: Duration = Duration::from_secs(30);
/// Kill -9 / restart rounds allowed for the Java member to win an election.
const LEADER_ROUNDS: usize = 12;
/// The test server's cluster id (the zero UUID).
const CLUSTER_ID: &str = "AAAAAAAAAAAAAAAAAAAAAA";
/// Followers fetch continuously on loopback: a replica that has not fetched within this window
/// of the tool's run, or lags by more than a second of the workload, is a wrong answer.
const FRESHNESS_MS: i64 = 5_000;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Our tool's view just before and just after a Kafka tool run, with the wall clock.
struct Bracket {
    before: (i32, i32, i64),
    after: (i32, i32, i64),
    started_ms: i64,
    ended_ms: i64,
}

fn bracket<T>(quorum: &Quorum, run: impl FnOnce() -> T) -> (T, Bracket) {
    let all: Vec<String> = quorum.bootstrap().split(',').map(str::to_string).collect();
    let started_ms = now_ms() - FRESHNESS_MS;
    let before = quorum_status(&all).expect("kraft-quorum describe --status before");
    let out = run();
    let after = quorum_status(&all).expect("kraft-quorum describe --status after");
    let ended_ms = now_ms();
    assert_eq!(
        (before.0, before.1),
        (after.0, after.1),
        "the leader changed during the run; rerun"
    );
    let b = Bracket {
        before,
        after,
        started_ms,
        ended_ms,
    };
    (out, b)
}

fn check_status(quorum: &mut Quorum, member: usize) {
    let kafka = quorum.kafka.clone();
    let address = format!("127.0.0.1:{}", quorum.members[member].port);
    let (out, b) = bracket(quorum, || {
        kafka.metadata_quorum(&address, &["describe", "--status"])
    });
    let what = format!("describe --status via {address} (Kafka {})", kafka.version);
    assert!(out.success, "{what} failed:\n{}", tail(&out.stderr));
    let s = parse_status(&out.stdout).unwrap_or_else(|e| panic!("{what}: {e}\n{}", out.stdout));
    let durable = quorum.leader().expect("a leader in the quorum-state files");
    assert_eq!(s.cluster_id, CLUSTER_ID, "{what}");
    assert_eq!(
        (s.leader_id, s.leader_epoch),
        durable,
        "{what}: quorum-state"
    );
    assert_eq!(
        (s.leader_id, s.leader_epoch),
        (b.before.0, b.before.1),
        "{what}"
    );
    assert!(
        b.before.2 <= s.high_watermark && s.high_watermark <= b.after.2,
        "{what}: high watermark {} outside [{}, {}] our tool saw around it",
        s.high_watermark,
        b.before.2,
        b.after.2
    );
    assert!(
        (0..i64::from(WORKLOAD.0)).contains(&s.max_follower_lag),
        "{what}: MaxFollowerLag {}",
        s.max_follower_lag
    );
    assert!(
        (0..FRESHNESS_MS).contains(&s.max_follower_lag_time_ms),
        "{what}: MaxFollowerLagTimeMs {}",
        s.max_follower_lag_time_ms
    );
    // Static voters have no directory id in the voter set: Kafka's leader reports none (null).
    let expected: Vec<Replica> = quorum
        .members
        .iter()
        .map(|m| Replica {
            id: m.id,
            directory_id: None,
            endpoints: vec![format!("PLAINTEXT://127.0.0.1:{}", m.port)],
        })
        .collect();
    let mut voters = s.voters.clone();
    voters.sort();
    assert_eq!(voters, expected, "{what}: CurrentVoters with endpoints");
    assert!(
        s.observers.is_empty(),
        "{what}: observers {:?}",
        s.observers
    );
}

fn check_replication(quorum: &mut Quorum, member: usize) {
    let kafka = quorum.kafka.clone();
    let address = format!("127.0.0.1:{}", quorum.members[member].port);
    let (out, b) = bracket(quorum, || {
        kafka.metadata_quorum(&address, &["describe", "--replication"])
    });
    let what = format!(
        "describe --replication via {address} (Kafka {})",
        kafka.version
    );
    assert!(out.success, "{what} failed:\n{}", tail(&out.stderr));
    let rows =
        parse_replication(&out.stdout).unwrap_or_else(|e| panic!("{what}: {e}\n{}", out.stdout));
    let mut ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![1, 2, 3], "{what}: one row per voter, no observer");
    let leader = &rows[0];
    assert_eq!(
        (leader.id, leader.status.as_str()),
        (b.before.0, "Leader"),
        "{what}"
    );
    assert!(
        leader.log_end_offset >= b.before.2,
        "{what}: leader's end offset below the high watermark before the run"
    );
    let mut at_or_above_hw = 0;
    for row in &rows {
        if row.id != leader.id {
            assert_eq!(row.status, "Follower", "{what}: {row:?}");
        }
        assert_eq!(
            row.lag,
            leader.log_end_offset - row.log_end_offset,
            "{what}"
        );
        assert!(
            (0..i64::from(WORKLOAD.0)).contains(&row.lag),
            "{what}: {row:?}"
        );
        for ts in [row.last_fetch_timestamp, row.last_caught_up_timestamp] {
            assert!(
                (b.started_ms..=b.ended_ms).contains(&ts),
                "{what}: timestamp {ts} not within the run [{}, {}]: {row:?}",
                b.started_ms,
                b.ended_ms
            );
        }
        if row.log_end_offset >= b.before.2 {
            at_or_above_hw += 1;
        }
    }
    assert!(
        at_or_above_hw >= 2,
        "{what}: the high watermark {} is not on a majority: {rows:?}",
        b.before.2
    );
}

#[test]
fn kafka_metadata_quorum_describes_a_rust_quorum_via_any_member() {
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate("interop_metadata_quorum::describe", &version) else {
            return;
        };
        let mut quorum = Quorum::new(&kafka, server_binary(), &[Kind::Rust; 3], CONFIG, WORKLOAD);
        quorum.start_all();
        let (_, epoch) = quorum.wait_leader_after(0, ELECTION);
        quorum.wait_committed_in_epoch(epoch, 20, COMMIT);
        for member in 0..quorum.members.len() {
            check_status(&mut quorum, member);
            check_replication(&mut quorum, member);
        }
        quorum.stop_all();
    }
}

/// Kills (-9) and restarts the leader until member `wanted` leads; at most `LEADER_ROUNDS`.
fn lead_with(quorum: &mut Quorum, wanted: i32) -> (i32, i32) {
    let (mut leader, mut epoch) = quorum.wait_leader_after(0, ELECTION);
    for round in 0..LEADER_ROUNDS {
        eprintln!("round {round}: member {leader} leads epoch {epoch}");
        if leader == wanted {
            break;
        }
        quorum.member(leader).kill();
        let (next, next_epoch) = quorum.wait_leader_after(epoch, ELECTION);
        quorum.member(leader).start();
        (leader, epoch) = (next, next_epoch);
    }
    assert_eq!(
        leader,
        wanted,
        "member {wanted} did not win an election in {LEADER_ROUNDS} rounds\n{}",
        quorum.diagnostics()
    );
    // Every member follows before the tool asks (a restarted one may still be catching up).
    let all_follow = poll(ELECTION, || {
        quorum
            .members
            .iter()
            .all(|m| {
                QuorumState::read(&m.partition_dir())
                    .is_some_and(|s| (s.leader_id, s.leader_epoch) == (leader, epoch))
            })
            .then_some(())
    });
    assert!(all_follow.is_some(), "{}", quorum.diagnostics());
    (leader, epoch)
}

#[test]
fn kraft_quorum_describe_while_kafka_test_raft_server_leads() {
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate("interop_metadata_quorum::java_leader", &version) else {
            return;
        };
        let kinds = [Kind::Java, Kind::Rust, Kind::Rust];
        let mut quorum = Quorum::new(&kafka, server_binary(), &kinds, CONFIG, WORKLOAD);
        quorum.start_all();
        let (leader, epoch) = lead_with(&mut quorum, 1);
        let address = |i: usize| format!("127.0.0.1:{}", quorum.members[i].port);
        let java = address(0);
        for servers in [quorum.bootstrap(), address(1), address(2)] {
            for view in ["--status", "--replication"] {
                let run = run_kraft_quorum(&servers, view);
                let what = format!("kraft-quorum {servers} describe {view}: {run:?}");
                assert_eq!(run.code, Some(3), "{what}");
                assert_eq!(run.leader_and_epoch(), Some((leader, epoch)), "{what}");
                assert!(
                    run.stdout.lines().count() == 2,
                    "{what}: only what is known"
                );
                assert!(
                    run.stderr.contains("does not serve DescribeQuorum")
                        && run.stderr.contains(&java)
                        && run.stderr.contains("UNKNOWN_SERVER_ERROR"),
                    "{what}"
                );
            }
        }
        // The Java node alone names no leader: nothing is known.
        let run = run_kraft_quorum(&java, "--status");
        assert_eq!(run.code, Some(1), "{run:?}");
        assert!(
            run.stdout.is_empty() && run.stderr.contains(&java),
            "{run:?}"
        );

        // A Rust node leads again; the tool passes the Java follower listed first.
        quorum.member(1).kill();
        let (rust_leader, _) = quorum.wait_leader_after(epoch, ELECTION);
        quorum.member(1).start();
        let run = run_kraft_quorum(&quorum.bootstrap(), "--status");
        assert_eq!(run.code, Some(0), "{run:?}");
        assert_eq!(run.leader_and_epoch().map(|(l, _)| l), Some(rust_leader));
        quorum.stop_all();
    }
}
