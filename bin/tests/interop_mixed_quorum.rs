//! Mixed quorums on real processes: our `kraft-server` and Apache Kafka's
//! `kafka.tools.TestRaftServer` as voters of one static quorum (1 Java + 2 Rust, 2 Java + 1 Rust).
//! Each kind leads in turn, the workload commits under every leader, leaders resign gracefully
//! (EndQuorumEpoch) and are killed with `kill -9`, each kind both ways; elections need the other
//! kind's (pre-)vote; every stopped node restarts and catches up. At the end every node's
//! committed prefix is byte-identical, read with our parser and with Kafka's `DumpLogSegments`.
//!
//! Runs against each Kafka version in `KRAFT_KAFKA_VERSIONS` (default: the newest 4.x); skips
//! loudly without Java or Maven, fails instead under `KRAFT_INTEROP_REQUIRED=1`.

mod support;

use kraft_interop::dump::Dump;
use kraft_interop::kafka::versions_under_test;
use kraft_interop::{Kafka, Kind, Quorum};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use support::{read_live_log, read_log, server_binary, StoredBatch};

const WORKLOAD: (u32, u32) = (1000, 200);
/// A fetch timeout well above what a graceful hand-over takes, so that an election that waited
/// for it (EndQuorumEpoch ignored) is told apart from one that EndQuorumEpoch started.
const FETCH_TIMEOUT_MS: u64 = 5000;
const ELECTION: Duration = Duration::from_secs(40);
const COMMIT: Duration = Duration::from_secs(40);
const CATCH_UP: Duration = Duration::from_secs(60);
/// Hand-overs per phase before the test gives up steering leadership to the other kind.
const MAX_ROUNDS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Stop {
    Graceful,
    Kill9,
}

/// What happened, for the final assertions.
#[derive(Default)]
struct Ledger {
    /// (stop, kind of the leader that was stopped)
    stopped: HashSet<(Stop, Kind)>,
    /// (kind of the new leader, kind of the only other live voter, whose vote it needed)
    elections: HashSet<(Kind, Kind)>,
    /// (epoch, leader id) of every leader seen.
    leaders: Vec<(i32, i32)>,
    /// Largest offset known committed (held by a majority in the then current epoch).
    committed: i64,
}

fn config() -> String {
    format!(
        "controller.quorum.append.linger.ms=5\ncontroller.quorum.fetch.timeout.ms={FETCH_TIMEOUT_MS}\n"
    )
}

/// Batches of `epoch` in member `id`'s log (running: its end may be an append in progress).
fn batches_in_epoch(q: &Quorum, id: i32, epoch: i32) -> usize {
    let m = q.members.iter().find(|m| m.id == id).expect("member");
    read_live_log(&m.partition_dir())
        .iter()
        .filter(|b| b.epoch == epoch)
        .count()
}

/// Stops the current leader and steers leadership to the other kind: when a follower of the
/// leader's own kind exists it is stopped first and the leader commits more with the other kind's
/// voter alone, so that follower's log is behind when it comes back and only the other kind's
/// voter can win (Kafka's and our vote rules refuse a candidate whose log is behind). Waits for
/// the next leader and for commits under it, restarts the stopped members and waits until they
/// caught up. Returns the new (leader, epoch).
fn hand_over(q: &mut Quorum, ledger: &mut Ledger, leader: (i32, i32), stop: Stop) -> (i32, i32) {
    let (old, epoch) = leader;
    let old_kind = q.kind_of(old);
    let same_kind = q
        .members
        .iter()
        .find(|m| m.id != old && m.kind == old_kind)
        .map(|m| m.id);
    if let Some(follower) = same_kind {
        q.member(follower).terminate();
        let now = batches_in_epoch(q, old, epoch);
        q.wait_committed_in_epoch(epoch, now + 10, COMMIT);
    }
    let began = Instant::now();
    let stopped_at_ms = unix_ms();
    stop_member(q, old, stop);
    if let Some(follower) = same_kind {
        q.member(follower).start();
    }
    let (new, new_epoch) = q.wait_leader_after(epoch, ELECTION);
    let took = began.elapsed();
    assert_ne!(new, old, "stopped leader {old} still leads");
    if stop == Stop::Graceful {
        assert_end_quorum_epoch_acted_on(q, old, same_kind, stopped_at_ms);
    }
    ledger.stopped.insert((stop, old_kind));
    let voter = q
        .members
        .iter()
        .find(|m| m.id != old && m.id != new)
        .map(|m| m.kind)
        .expect("third member");
    ledger.elections.insert((q.kind_of(new), voter));
    ledger.leaders.push((new_epoch, new));
    let end = q.wait_committed_in_epoch(new_epoch, 10, COMMIT);
    q.member(old).start();
    for member in [Some(old), same_kind].into_iter().flatten() {
        q.wait_caught_up(member, new, end, CATCH_UP);
    }
    ledger.committed = ledger.committed.max(end);
    eprintln!(
        "{stop:?} stop of {old_kind} leader {old} (epoch {epoch}): {} leader {new} in epoch \
         {new_epoch} after {took:?}; committed to {end}; stopped members restarted and caught up",
        q.kind_of(new)
    );
    (new, new_epoch)
}

fn stop_member(q: &mut Quorum, id: i32, stop: Stop) {
    let kind = q.kind_of(id);
    match stop {
        Stop::Graceful => {
            let status = q.member(id).terminate();
            // The JVM runs its shutdown hooks (TestRaftServer's resigns) and exits with 143.
            let clean = match kind {
                Kind::Rust => status.is_some_and(|s| s.success()),
                Kind::Java => status.is_some_and(|s| s.code() == Some(143)),
            };
            assert!(
                clean,
                "{kind} leader {id} did not exit cleanly on SIGTERM: {status:?}\n{}",
                q.diagnostics()
            );
        }
        Stop::Kill9 => q.member(id).kill(),
    }
}

fn unix_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.expect("clock after 1970").as_millis() as u64
}

/// After a leader resigned gracefully, every other member changed its election state well before
/// its fetch timeout could have made it: it acted on the leader's EndQuorumEpoch (became
/// Prospective after its preferred-successor backoff, or voted for the one that did). The new
/// leader may still take longer (Kafka's own pre-vote rules reject a candidate whose log is
/// behind, e.g. a member restarted a moment ago, and then wait for the fetch timeout), so the
/// election's length is not what is judged.
fn assert_end_quorum_epoch_acted_on(
    q: &Quorum,
    resigned: i32,
    stopped_member: Option<i32>,
    stopped_at_ms: u64,
) {
    let window_ms = FETCH_TIMEOUT_MS / 2;
    let live = |id: i32| id != resigned && Some(id) != stopped_member;
    for m in q.members.iter().filter(|m| live(m.id)) {
        let acted = m
            .state_changes()
            .iter()
            .any(|(t, _)| *t + 50 >= stopped_at_ms && *t <= stopped_at_ms + window_ms);
        assert!(
            acted,
            "{} member {} did not act on {} leader {resigned}'s EndQuorumEpoch within \
             {window_ms} ms of its resignation (fetch timeout {FETCH_TIMEOUT_MS} ms)\n{}",
            m.kind,
            m.id,
            q.kind_of(resigned),
            q.diagnostics()
        );
    }
}

/// Hands leadership over with `stop` until a leader of each kind has been stopped that way.
fn phase(q: &mut Quorum, ledger: &mut Ledger, mut leader: (i32, i32), stop: Stop) -> (i32, i32) {
    for _ in 0..MAX_ROUNDS {
        if ledger.stopped.contains(&(stop, Kind::Rust))
            && ledger.stopped.contains(&(stop, Kind::Java))
        {
            return leader;
        }
        leader = hand_over(q, ledger, leader, stop);
    }
    panic!(
        "after {MAX_ROUNDS} hand-overs ({stop:?}) not both kinds had led and been stopped: {:?}",
        ledger.stopped
    );
}

/// Every node's log, read by us and by Kafka, holds the same batches up to the shortest log,
/// which reaches everything known committed and holds batches of every leader's epoch.
fn assert_identical_committed_prefix(q: &Quorum, kafka: &Kafka, ledger: &Ledger) {
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
        common_end >= ledger.committed,
        "a node's log ends at {common_end}, below the committed offset {}",
        ledger.committed
    );
    let prefix = |log: &[StoredBatch]| -> Vec<StoredBatch> {
        log.iter()
            .filter(|b| b.last_offset <= common_end)
            .cloned()
            .collect()
    };
    let reference = prefix(&logs[0].1);
    for (id, log) in &logs[1..] {
        let mine = prefix(log);
        let first_diff = reference.iter().zip(&mine).position(|(a, b)| a != b);
        assert!(
            mine == reference,
            "member {id}'s committed prefix differs from member {}'s (first differing batch \
             index {first_diff:?}, {} vs {} batches)",
            logs[0].0,
            mine.len(),
            reference.len()
        );
    }
    for (epoch, leader) in &ledger.leaders {
        assert!(
            reference.iter().any(|b| b.epoch == *epoch),
            "no committed batch of leader {leader}'s epoch {epoch}"
        );
    }
    let expected: Vec<(i64, i64, i32, u32)> = reference
        .iter()
        .map(|b| (b.base_offset, b.last_offset, b.epoch, b.crc()))
        .collect();
    for m in &q.members {
        let mut dump = Dump::run(kafka, &m.partition_dir());
        if m.kind == Kind::Java {
            // Kafka 4.0's own follower indexing of multi-batch appends (see the method); never
            // accepted in files our node wrote.
            let accepted = dump.accept_chunk_index_entries();
            if accepted > 0 {
                eprintln!(
                    "member {} (Java, Kafka {}): {accepted} index entries of multi-batch appends \
                     (Kafka's own indexing) accepted",
                    m.id, kafka.version
                );
            }
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

/// Runs one quorum shape through both phases; returns what happened.
fn run_shape(kafka: &Kafka, kinds: &[Kind]) -> Ledger {
    eprintln!("Kafka {}, members {kinds:?}", kafka.version);
    let mut q = Quorum::new(kafka, server_binary(), kinds, &config(), WORKLOAD);
    q.start_all();
    let mut ledger = Ledger::default();
    let first = q.wait_leader_after(0, ELECTION);
    ledger.leaders.push((first.1, first.0));
    ledger.committed = q.wait_committed_in_epoch(first.1, 10, COMMIT);
    let leader = phase(&mut q, &mut ledger, first, Stop::Graceful);
    phase(&mut q, &mut ledger, leader, Stop::Kill9);
    q.stop_all();
    assert_identical_committed_prefix(&q, kafka, &ledger);
    ledger
}

/// Both shapes in one test, one after the other (six JVMs and nodes at once would overload this
/// two-CPU machine), so that the cross-kind votes of both are judged together: a Rust leader
/// elected with a Java voter's vote and a Java leader with a Rust voter's.
#[test]
fn mixed_quorums_lead_fail_over_and_agree_byte_for_byte() {
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate("interop_mixed_quorum", &version) else {
            return;
        };
        let mut elections = HashSet::new();
        for kinds in [
            [Kind::Java, Kind::Rust, Kind::Rust],
            [Kind::Java, Kind::Java, Kind::Rust],
        ] {
            elections.extend(run_shape(&kafka, &kinds).elections);
        }
        for pair in [(Kind::Rust, Kind::Java), (Kind::Java, Kind::Rust)] {
            assert!(
                elections.contains(&pair),
                "no {} leader elected with the {} voter's vote: {elections:?}",
                pair.0,
                pair.1
            );
        }
    }
}
