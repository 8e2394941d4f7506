//! The knobs of one simulated run and what it produced.

use crate::checker::Violation;
use crate::rng::SimRng;

/// Knobs of one simulated run. `SimOptions::for_seed` draws a varied mix from the seed.
#[derive(Clone, Debug)]
pub struct SimOptions {
    pub seed: u64,
    pub voters: usize,
    /// Extra replicas outside the voter set (they fetch like Kafka observers).
    pub observers: usize,
    /// Chaos budget: no new fault phase starts after this simulated time.
    pub duration_ms: u64,
    /// Hard bound on node steps (inputs, ticks and appends).
    pub max_steps: u64,
    /// Inject crashes, partitions, lossy links, resignations, slow disks.
    pub faults: bool,
    /// After the cluster becomes calm, a new record must commit within this bound.
    pub liveness_bound_ms: u64,
    /// Mean gap between workload appends.
    pub append_interval_ms: u64,
    /// Keep a human-readable trace of the last `trace_lines` events (slower; for replaying one
    /// seed). 0 = no trace.
    pub trace_lines: usize,
    pub pre_vote: bool,
    pub append_linger_ms: u64,
    pub election_timeout_ms: u64,
    pub fetch_timeout_ms: u64,
    /// Small batches make the accumulator fill up and fetches return several batches.
    pub max_batch_size_bytes: usize,
    /// Give every process its own clock origin (re-drawn on restart), as separate machines have.
    pub clock_skew: bool,
    /// Deliberately broken runtime behaviour, to show end to end that the checker catches it.
    pub sabotage: Sabotage,
    /// The state machine freezes a snapshot every this many committed bytes (0: never).
    pub snapshot_every_bytes: u64,
    /// `metadata.max.retention.bytes`: small, so that lagging and restarted nodes download.
    pub retention_bytes: i64,
    /// `metadata.max.retention.ms` (-1: off), against the snapshots' freeze times.
    pub retention_ms: i64,
    /// `controller.quorum.fetch.snapshot.max.bytes`: small, so downloads take several chunks.
    pub fetch_snapshot_max_bytes: u32,
    /// A dynamic quorum (KIP-853, kraft.version 1) with an operator changing its voters; `None`:
    /// static voters (`controller.quorum.voters`, kraft.version 0).
    pub dynamic: Option<DynamicOptions>,
}

/// A dynamic quorum: nodes `1..=voters` are formatted as its initial controllers (the bootstrap
/// checkpoint holds kraft.version 1 and their Voters record), the `observers` others with
/// `--no-initial-controllers` (kraft.version 1, no voters); every node's bootstrap servers are the
/// initial controllers. The operator then grows, shrinks and replaces voters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DynamicOptions {
    /// `controller.quorum.auto.join.enable` on the spare nodes (they add themselves).
    pub auto_join: bool,
    /// Voter changes the operator plans (each an add, a removal or a replacement with a wiped
    /// disk), one after the other.
    pub operations: u32,
    /// Two tools send their changes at once (two administrators): the leader must take one at
    /// a time and refuse the other.
    pub concurrent_tools: bool,
}

/// A runtime bug the simulator can be told to commit, so tests can show that the checker reports
/// what such a bug breaks. `None` in every real run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sabotage {
    None,
    /// Quorum-state writes are dropped (the file never changes): votes are not durable.
    ForgetQuorumState,
    /// `LogFlushed` is reported at once for the whole log, but nothing becomes durable.
    AcknowledgeUnflushed,
    /// `Truncate` outputs are ignored.
    IgnoreTruncate,
}

impl SimOptions {
    /// A mix of 3- and 5-voter quorums, sometimes with an observer, mostly with faults.
    pub fn for_seed(seed: u64) -> SimOptions {
        let mut rng = SimRng::new(seed ^ 0x5EED_0F0F_710E_5EED);
        // Drawn from their own stream, so the rest of the mix stays what it was per seed.
        let mut snapshot_rng = SimRng::new(seed ^ 0x5A45_0000_5A45_0000);
        let snapshot_every_bytes = if snapshot_rng.chance(0.9) {
            snapshot_rng.range_inclusive(4_000, 40_000)
        } else {
            0
        };
        let retention_bytes = (snapshot_every_bytes * snapshot_rng.range_inclusive(1, 4)) as i64;
        let fetch_snapshot_max_bytes = snapshot_rng.range_inclusive(100, 2_000) as u32;
        let retention_ms = if snapshot_rng.chance(0.5) {
            snapshot_rng.range_inclusive(1_000, 10_000) as i64
        } else {
            -1
        };
        let voters = if rng.chance(0.5) { 3 } else { 5 };
        let observers = usize::from(rng.chance(0.25));
        let faults = !rng.chance(0.05);
        // Drawn from their own stream, so static seeds stay what they were.
        let mut dynamic_rng = SimRng::new(seed ^ 0xD1A0_0853_D1A0_0853);
        let dynamic = dynamic_rng.chance(0.4).then(|| DynamicOptions {
            auto_join: dynamic_rng.chance(0.3),
            operations: dynamic_rng.range_inclusive(2, 6) as u32,
            concurrent_tools: dynamic_rng.chance(0.3),
        });
        let (voters, observers) = match dynamic {
            // One initial controller (`--standalone`) or three, and two spares.
            Some(_) if dynamic_rng.chance(0.4) => (1, 2),
            Some(_) => (3, 2),
            None => (voters, observers),
        };
        SimOptions {
            seed,
            voters,
            observers,
            duration_ms: 45_000,
            // Busy seeds take about 100,000 steps; ten times that means a core that spins.
            max_steps: 1_000_000,
            faults,
            // Generous: with 1-4 KiB batches a follower that fell thousands of records behind
            // needs seconds to catch up after the election (seeds 15397, 86783 needed > 12 s).
            liveness_bound_ms: 30_000,
            append_interval_ms: rng.range_inclusive(5, 60),
            trace_lines: 0,
            pre_vote: rng.chance(0.7),
            append_linger_ms: rng.range_inclusive(0, 25),
            election_timeout_ms: rng.range_inclusive(500, 1_500),
            fetch_timeout_ms: rng.range_inclusive(1_000, 3_000),
            max_batch_size_bytes: if rng.chance(0.3) {
                rng.range_inclusive(1_024, 4_096) as usize
            } else {
                8 * 1024 * 1024
            },
            clock_skew: rng.chance(0.5),
            sabotage: Sabotage::None,
            snapshot_every_bytes,
            retention_bytes,
            retention_ms,
            fetch_snapshot_max_bytes,
            dynamic,
        }
    }
}

/// Orderings the network side met in a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetSideCounts {
    /// Fetch responses whose log range named a generation the log side had not started yet (a
    /// truncation the core issued, not applied): sent without records.
    pub ranges_ahead_of_log: u64,
    /// Fetch responses whose log range the log side had truncated since: sent without records.
    pub ranges_behind_log: u64,
    /// Requests failed by the request timeout.
    pub request_timeouts: u64,
    /// Answers dropped because they were not for the request in flight (late or duplicated).
    pub answers_dropped: u64,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct SimOutcome {
    pub seed: u64,
    pub steps: u64,
    pub simulated_ms: u64,
    pub violation_count: u64,
    pub violations: Vec<Violation>,
    /// Hash over every input, output and append of the run: equal for equal seeds.
    pub trace_hash: u64,
    pub committed_end_offset: i64,
    pub leaders_seen: usize,
    pub crashes: u64,
    /// Quorum-state writes lost to a crash before they were durable.
    pub election_writes_lost: u64,
    /// Quorum-state writes that stalled (a hung disk) with the Raft loop waiting on them.
    pub election_write_stalls: u64,
    /// What the network side met (shows the orderings it guards against happen).
    pub net: NetSideCounts,
    /// Snapshots the state machines froze.
    pub snapshots_frozen: u64,
    /// Snapshots downloaded and loaded by followers and observers.
    pub snapshots_loaded: u64,
    /// Downloaded snapshots that failed their check (damaged in flight) and were fetched again.
    pub snapshot_load_failures: u64,
    /// Crashes of a node with a download or a load in progress (it restarts from its old log).
    pub downloads_interrupted: u64,
    /// Snapshot loads that waited for the log side (commands before them, an fsync, a stall).
    pub snapshot_loads_behind_log: u64,
    /// Retention deletions that waited for the log side (the disk behind the core's log).
    pub retention_behind_log: u64,
    pub liveness_windows_passed: u64,
    /// What the operator did (dynamic quorums).
    pub reconfig: ReconfigCounts,
    /// The last events in text form (only with `SimOptions::trace_lines`).
    pub trace_tail: Vec<String>,
}

/// Voter changes of a run, counted when the new voter set is committed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReconfigCounts {
    /// Runs with a dynamic quorum.
    pub dynamic_runs: u64,
    /// Voters the operator added (AddRaftVoter), replacements' new keys included.
    pub adds: u64,
    /// Voters the operator removed (RemoveRaftVoter), replacements' old keys included.
    pub removals: u64,
    /// Replacements: a voter removed, its disk wiped (a new directory id), added again.
    pub replacements_with_wipe: u64,
    /// Voters that added themselves (`controller.quorum.auto.join.enable`).
    pub auto_joins: u64,
    /// Operator requests answered with an error, timed out or lost (and retried).
    pub retries: u64,
}

impl ReconfigCounts {
    pub fn add(&mut self, other: &ReconfigCounts) {
        self.dynamic_runs += other.dynamic_runs;
        self.adds += other.adds;
        self.removals += other.removals;
        self.replacements_with_wipe += other.replacements_with_wipe;
        self.auto_joins += other.auto_joins;
        self.retries += other.retries;
    }
}
