//! Issue 16 across implementations, on real processes: dynamic quorums (KIP-853) of our
//! `kraft-server` and Apache Kafka's `kafka.tools.TestRaftServer`.
//!
//! - Kafka voters join and leave our quorum: from our single formatted voter, a Rust node is added
//!   with Kafka's `kafka-metadata-quorum add-controller`, a TestRaftServer with our
//!   `kraft-quorum add-controller`, another with Kafka's tool; one of each kind is removed with
//!   the other kind's tool and one added back; then our leader resigns and a Java voter added
//!   this way leads, and our node rejoins under it.
//! - Ours in a Java-led quorum: TestRaftServer cannot be reconfigured by any tool (its request
//!   handler answers only ApiVersions, Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch and
//!   FetchSnapshot, see /work/helpers/e2e-findings.md K2), so our node joins a Java-led quorum
//!   the other way KIP-853 offers: formatted with the same `--initial-controllers` as the Java
//!   voters. A second node of ours follows as an observer (bootstrap servers only); both tools'
//!   `add-controller` against the Java leader must fail cleanly (an error, no hang).
//!
//! At the end of each, every member's log (our spec reader and Kafka's DumpLogSegments) holds the
//! same committed prefix. Runs against each Kafka version in `KRAFT_KAFKA_VERSIONS` (default the
//! newest 4.x); skips loudly without Java or Maven, fails instead under KRAFT_INTEROP_REQUIRED=1.

mod support;

use kraft_interop::dump::Dump;
use kraft_interop::dynamic::{DynamicQuorum, Tool};
use kraft_interop::format::{initial_controllers, Formatting};
use kraft_interop::kafka::versions_under_test;
use kraft_interop::tools::summarize;
use kraft_interop::{Kafka, Kind};
use std::time::Duration;
use support::{read_log, server_binary, StoredBatch};

const WORKLOAD: (u32, u32) = (500, 200);
const VOTERS: Duration = Duration::from_secs(40);
const ELECTION: Duration = Duration::from_secs(40);
const COMMIT: Duration = Duration::from_secs(40);

/// Kafka 4.0.0's TestRaftServer ignores `--throughput` and writes 20,000 records of 256 bytes a
/// second: on a busy two-core machine its followers' 2 s default fetch timeout expired in a
/// trial run and a follower took over. A longer timeout keeps the Java leader in place.
fn config() -> String {
    "controller.quorum.append.linger.ms=5\ncontroller.quorum.fetch.timeout.ms=5000\n".to_string()
}

/// Both scenarios in one test, one after the other: four JVMs beside our nodes at once would
/// overload this two-CPU machine (libtest runs a file's tests in parallel).
#[test]
fn dynamic_quorums_across_kinds() {
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate("interop_reconfig", &version) else {
            return;
        };
        java_voters_in_our_quorum(&kafka);
        ours_in_java_led_quorum(&kafka);
    }
}

fn java_voters_in_our_quorum(kafka: &Kafka) {
    eprintln!("Kafka {}: Java voters join our quorum", kafka.version);
    let kinds = [Kind::Rust, Kind::Rust, Kind::Java, Kind::Java];
    let mut q = DynamicQuorum::new(server_binary(), Some(kafka), &kinds, &config(), WORKLOAD);
    q.format(1, &Formatting::Standalone);
    for id in 2..=4 {
        q.format(id, &Formatting::NoInitialControllers);
    }
    q.member(1).start();
    q.wait_voters(&[1], VOTERS);
    for id in 2..=4 {
        q.member(id).start();
    }
    q.add_voter(2, Tool::Kafka);
    q.add_voter(3, Tool::Ours);
    q.add_voter(4, Tool::Kafka);
    let four = q.wait_voters(&[1, 2, 3, 4], VOTERS);
    assert_eq!(four.leader_id, 1, "our node 1 leads while voters are added");
    q.wait_batches_in_epoch(&[1, 2, 3, 4], four.leader_epoch, 5, COMMIT);

    let java_3 = q.get(3).directory_id.clone();
    q.remove_voter(3, &java_3, Tool::Ours);
    let rust_2 = q.get(2).directory_id.clone();
    q.remove_voter(2, &rust_2, Tool::Kafka);
    q.wait_voters(&[1, 4], VOTERS);
    q.add_voter(3, Tool::Ours);
    let before = q.wait_voters(&[1, 3, 4], VOTERS);

    // Our leader resigns: only the two Java voters remain, one of them must lead.
    let status = q.member(1).terminate();
    assert!(
        status.is_some_and(|s| s.success()),
        "node 1 did not stop cleanly"
    );
    let found = support::poll(ELECTION, || {
        q.leader_by_states(&[3, 4])
            .filter(|&(_, epoch)| epoch > before.leader_epoch)
    });
    let Some((java_leader, epoch)) = found else {
        panic!(
            "no Java leader after our leader resigned\n{}",
            q.diagnostics()
        );
    };
    eprintln!("Java voter {java_leader} leads epoch {epoch}");
    let committed = q.wait_batches_in_epoch(&[3, 4], epoch, 5, COMMIT);
    q.member(1).start();
    q.wait_batches_in_epoch(&[1, 3, 4], epoch, 5, COMMIT);
    stop_all(&mut q, java_leader);
    assert_identical_committed_prefix(&q, kafka, committed);
}

fn ours_in_java_led_quorum(kafka: &Kafka) {
    eprintln!("Kafka {}: ours in a Java-led quorum", kafka.version);
    let kinds = [Kind::Java, Kind::Java, Kind::Rust, Kind::Rust];
    let mut q = DynamicQuorum::new(server_binary(), Some(kafka), &kinds, &config(), WORKLOAD);
    let controllers = {
        let mut members: Vec<&mut kraft_interop::Member> = q.members.iter_mut().take(3).collect();
        initial_controllers(&mut members)
    };
    for id in 1..=3 {
        q.format(id, &Formatting::InitialControllers(controllers.clone()));
    }
    q.format(4, &Formatting::NoInitialControllers);
    // The Java voters elect one of them before ours starts.
    q.member(1).start();
    q.member(2).start();
    let found = support::poll(ELECTION, || q.leader_by_states(&[1, 2, 3]));
    assert!(
        found.is_some(),
        "the Java voters elected no leader\n{}",
        q.diagnostics()
    );
    q.member(3).start();
    q.member(4).start();
    let (java_leader, epoch) = java_leads(&mut q);
    let committed = q.wait_batches_in_epoch(&[1, 2, 3, 4], epoch, 5, COMMIT);
    eprintln!(
        "Java voter {java_leader} leads epoch {epoch}; our voter 3 and observer 4 hold its \
         batches up to offset {committed}"
    );

    // No tool can add a voter to a TestRaftServer leader: both must fail, not hang.
    let config = q.get(4).config_path();
    let bootstrap = q.rust_bootstrap();
    let ours = q.tool.add_controller(&bootstrap, &config);
    let theirs = kafka.add_controller(&bootstrap, &config);
    eprintln!(
        "add-controller against the Java leader (expected to fail, TestRaftServer answers no \
         AddRaftVoter):\n{}",
        summarize(&[ours.clone(), theirs.clone()])
    );
    assert!(!ours.success && !ours.timed_out, "our tool: {ours:?}");
    assert!(!theirs.success, "Kafka's tool: {theirs:?}");
    // Leadership may have moved on a loaded machine (see `java_leads`).
    let (java_leader, epoch) = java_leads(&mut q);
    let committed = q.wait_batches_in_epoch(&[1, 2, 3, 4], epoch, 20, COMMIT);
    stop_all(&mut q, java_leader);
    assert_identical_committed_prefix(&q, kafka, committed);
}

/// Waits for a leader of voters 1-3 and returns it once it is a Java member. On a loaded
/// machine a Java leader (Kafka 4.0.0's fixed 5 MB/s workload) may stall past the fetch timeout
/// and our voter 3 take over: then ours resigns (SIGTERM, EndQuorumEpoch) and restarts, at most
/// `ROUNDS` times.
fn java_leads(q: &mut DynamicQuorum) -> (i32, i32) {
    const ROUNDS: usize = 3;
    for _ in 0..ROUNDS {
        let found = support::poll(ELECTION, || q.leader_by_states(&[1, 2, 3]));
        let Some((leader, epoch)) = found else {
            panic!("voters 1-3 elected no leader\n{}", q.diagnostics());
        };
        if q.get(leader).kind == Kind::Java {
            return (leader, epoch);
        }
        eprintln!("our voter {leader} took over in epoch {epoch}: it resigns and restarts");
        q.member(leader).terminate();
        let java = support::poll(ELECTION, || {
            q.leader_by_states(&[1, 2, 3])
                .filter(|&(id, e)| id != leader && e > epoch)
        });
        q.member(leader).start();
        if let Some(found) = java {
            return found;
        }
    }
    panic!("no Java leader after {ROUNDS} rounds\n{}", q.diagnostics());
}

/// SIGTERM to every running member, the leader last; each exits within the bound, ours with
/// status 0 (a JVM ended by SIGTERM exits 143 after its shutdown hooks).
fn stop_all(q: &mut DynamicQuorum, leader: i32) {
    let mut order: Vec<i32> = q
        .members
        .iter()
        .map(|m| m.id)
        .filter(|&id| id != leader)
        .collect();
    order.push(leader);
    for id in order {
        if q.member(id).is_running() {
            let kind = q.get(id).kind;
            let status = q.member(id).terminate();
            assert!(
                status.is_some_and(|s| s.success() || kind == Kind::Java),
                "member {id} did not stop cleanly: {status:?}\n{}",
                q.diagnostics()
            );
        }
    }
}

/// Every member's log, read by our spec reader, holds the same batches up to the shortest log's
/// end (at least `committed`), and Kafka's DumpLogSegments reads the same batches from each.
fn assert_identical_committed_prefix(q: &DynamicQuorum, kafka: &Kafka, committed: i64) {
    let logs: Vec<(i32, Vec<StoredBatch>)> = q
        .members
        .iter()
        .map(|m| (m.id, read_log(&m.partition_dir())))
        .collect();
    let common_end = logs
        .iter()
        .map(|(_, log)| log.last().map_or(-1, |b| b.last_offset))
        .min()
        .expect("members");
    assert!(
        common_end >= committed,
        "a member's log ends at {common_end}, below the committed offset {committed}"
    );
    let prefix = |log: &[StoredBatch]| -> Vec<StoredBatch> {
        log.iter()
            .filter(|b| b.last_offset <= common_end)
            .cloned()
            .collect()
    };
    let reference = prefix(&logs[0].1);
    for (id, log) in &logs[1..] {
        assert!(
            prefix(log) == reference,
            "member {id}'s committed prefix differs from member {}'s",
            logs[0].0
        );
    }
    let expected: Vec<(i64, i64, i32, u32)> = reference
        .iter()
        .map(|b| (b.base_offset, b.last_offset, b.epoch, b.crc()))
        .collect();
    for m in &q.members {
        let mut dump = Dump::run(kafka, &m.partition_dir());
        if m.kind == Kind::Java {
            dump.accept_chunk_index_entries();
        }
        dump.assert_clean(&format!("member {} ({})", m.id, m.kind));
        let theirs: Vec<(i64, i64, i32, u32)> = dump
            .batches
            .iter()
            .filter(|b| b.last_offset <= common_end)
            .map(|b| (b.base_offset, b.last_offset, b.epoch, b.crc))
            .collect();
        assert_eq!(
            theirs, expected,
            "Kafka's DumpLogSegments reads member {}'s committed prefix differently",
            m.id
        );
    }
    eprintln!(
        "committed prefix identical on all members: {} batches up to offset {common_end}",
        reference.len()
    );
}
