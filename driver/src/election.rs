//! The quorum-state side: an election state the core asks to persist is durable before any later
//! output of the core runs (Kafka's QuorumState writes its file before the vote or the leader
//! change it records is acted on). The rule lives here once, for the real runtime (the
//! `quorum-state` file, written on glommio's blocking pool) and the simulator (a seeded store
//! whose write completes later, or is lost in a crash).

use kraft_engine::{ElectionState, Output, RaftNode};

/// Where election states become durable. A write is begun here and its completion reported to
/// [`OutputGate::on_durable`] by the driver once the store says it is durable.
pub trait ElectionStore {
    /// Starts making `state` durable; it is not yet when this returns.
    fn begin_write(&mut self, state: &ElectionState);

    /// As [`ElectionStore::begin_write`], with the kraft.version in force when the core asked:
    /// Kafka's `FileQuorumStateStore` writes the quorum-state shape that version names (0: with
    /// the static voter ids; 1: with the voted directory id). A store that keeps no file shape
    /// ignores it.
    fn begin_write_at(&mut self, state: &ElectionState, kraft_version: i16) {
        let _ = kraft_version;
        self.begin_write(state);
    }
}

/// Bound on election writes begun and not yet durable (one, unless a planted bug lets more run).
const MAX_WRITES_IN_FLIGHT: u32 = 1_000;

/// Hands the core's outputs to the driver in order, holding every output after a
/// `PersistElectionState` until the driver reports that write durable.
#[derive(Debug, Default)]
pub struct OutputGate {
    writes_in_flight: u32,
}

impl OutputGate {
    pub fn new() -> OutputGate {
        OutputGate::default()
    }

    /// The driver must wait for the election write in flight before it asks for more outputs.
    pub fn must_wait(&self) -> bool {
        // Planted: outputs after a PersistElectionState run before it is durable.
        self.writes_in_flight > 0 && !planted_bug!(OutputsBeforeElectionDurable)
    }

    /// The next output the driver may run, or `None` when the core has none or an election write
    /// is not durable yet. A `PersistElectionState` is begun on `store` here and returned so the
    /// driver can observe it; the driver runs nothing for it.
    pub fn next_output<S: ElectionStore>(
        &mut self,
        core: &mut RaftNode,
        store: &mut S,
    ) -> Option<Output> {
        if self.must_wait() {
            return None;
        }
        let output = core.poll_output()?;
        if let Output::PersistElectionState(state) = &output {
            assert!(
                self.writes_in_flight < MAX_WRITES_IN_FLIGHT,
                "{} election writes in flight",
                self.writes_in_flight
            );
            store.begin_write_at(state, core.kraft_version());
            self.writes_in_flight += 1;
        }
        Some(output)
    }

    /// The store made the oldest write in flight durable.
    pub fn on_durable(&mut self) {
        assert!(
            self.writes_in_flight > 0,
            "durable without a write in flight"
        );
        self.writes_in_flight -= 1;
    }

    pub fn writes_in_flight(&self) -> u32 {
        self.writes_in_flight
    }
}

#[cfg(test)]
mod tests;
