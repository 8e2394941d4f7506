//! The quorum-state file: replaced atomically (temp file + rename + fsync), so a write is
//! durable exactly when it completes and a crash loses a write still in flight.

use super::SimDisk;

impl<Q: Clone> SimDisk<Q> {
    /// Atomic, durable replacement of the quorum-state file.
    pub fn persist_quorum_state(&mut self, state: Q) {
        self.quorum_state = Some(state);
        self.quorum_state_writes += 1;
    }

    /// Starts a quorum-state write (temp file, fsync, rename, fsync of the directory): durable
    /// only at [`complete_quorum_state_write`](Self::complete_quorum_state_write). A write begun
    /// while another is pending replaces it (the later rename wins).
    pub fn begin_quorum_state_write(&mut self, state: Q) {
        self.pending_quorum_state = Some(state);
    }

    /// The write in flight becomes durable; returns it (`None`: none was in flight).
    pub fn complete_quorum_state_write(&mut self) -> Option<Q> {
        let state = self.pending_quorum_state.take()?;
        self.persist_quorum_state(state.clone());
        Some(state)
    }

    /// A write in flight is dropped without becoming durable (sabotage: the file never changes).
    pub fn drop_quorum_state_write(&mut self) -> Option<Q> {
        self.pending_quorum_state.take()
    }

    pub fn quorum_state(&self) -> Option<&Q> {
        self.quorum_state.as_ref()
    }

    pub fn quorum_state_writes(&self) -> u64 {
        self.quorum_state_writes
    }
}
