//! The simulated node's quorum-state side, driven through the runtime's own [`OutputGate`]
//! (kraft-driver): a `PersistElectionState` begins a write on the simulated disk and every later
//! output of the core waits until it is durable, as the real Raft loop waits for its
//! `quorum-state` file. What the simulator adds is timing, seeded: the write (two fsyncs and a
//! rename) takes milliseconds or, in chaos, stalls for seconds; a crash before it completes loses
//! it (the old file stays). While it is in flight the Raft loop is blocked: messages wait, the
//! core is not ticked, flush reports wait in their slot; the log and network sides go on.
//!
//! [`OutputGate`]: kraft_driver::OutputGate

use kraft_driver::ElectionStore;
use kraft_engine::election::ElectionState;

use super::{election_record, Cluster, EventKind, Sabotage};
use crate::disk::SimDisk;

/// Longest ordinary quorum-state write beyond the longest fsync (it is two fsyncs and a rename).
const WRITE_EXTRA_MS: u64 = 2;
/// In chaos, the odds (per million) that a quorum-state write stalls, and how long (a hung disk).
const WRITE_STALL_PPM: u32 = 5_000;
const WRITE_STALL_MS: (u64, u64) = (500, 3_000);

impl ElectionStore for SimDisk<ElectionState> {
    fn begin_write(&mut self, state: &ElectionState) {
        self.begin_quorum_state_write(state.clone());
    }
}

impl Cluster {
    /// The gate began a write of `state` on node `i`'s disk: it becomes durable later.
    pub(super) fn election_write_begun(&mut self, i: usize, state: &ElectionState) {
        self.hash_words(&[
            20,
            state.epoch as u64,
            state.leader_id.unwrap_or(-1) as u64,
            state.voted_key.map_or(-1, |k| k.id) as u64,
        ]);
        let mut delay = self
            .rng
            .range_inclusive(0, self.flush_delay_max_ms + WRITE_EXTRA_MS);
        if self.now_ms < self.chaos_until_ms && self.rng.chance_ppm(WRITE_STALL_PPM) {
            delay += self.rng.range_inclusive(WRITE_STALL_MS.0, WRITE_STALL_MS.1);
            self.election_write_stalls += 1;
        }
        let incarnation = self.nodes[i].incarnation;
        self.schedule(
            delay,
            EventKind::ElectionDurable {
                node: i,
                incarnation,
            },
        );
    }

    /// Node `i`'s quorum-state write completed: the held outputs run, then the Raft loop takes
    /// what arrived meanwhile.
    pub(super) fn election_write_durable(&mut self, i: usize) {
        let now = self.now_ms;
        let id = self.nodes[i].id;
        let disk = &mut self.nodes[i].disk;
        let written = match self.options.sabotage {
            Sabotage::ForgetQuorumState => disk.drop_quorum_state_write(),
            _ => disk.complete_quorum_state_write(),
        };
        if let Some(state) = written {
            self.checker
                .on_persist_election(now, id, election_record(&state));
        }
        self.nodes[i].outputs.on_durable();
        self.trace_line(|| format!("node {id}: quorum state durable"));
        self.after_core_call(i);
        if self.is_up(i) && !self.is_paused(i) {
            self.resume(i);
        }
    }
}
