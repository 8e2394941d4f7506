//! Log matching: one (offset, epoch) means one batch after one prefix, in every log, forever.

use super::{Checker, Invariant};
use crate::disk::StoredBatch;
use crate::network::NodeId;

impl Checker {
    /// A batch was appended to `node`'s log. Same (offset, epoch) anywhere, at any time, must mean
    /// the same batch after the same prefix; batches of one epoch must not overlap differently.
    pub fn on_append(&mut self, time_ms: u64, node: NodeId, batch: &StoredBatch) {
        let key = (batch.epoch, batch.base_offset);
        let value = (batch.last_offset, batch.prefix_hash);
        if let Some(&known) = self.batch_identity.get(&key) {
            if known != value {
                let detail = format!(
                    "batch (base offset {}, epoch {}) differs from one seen before: last offset {} vs {}, prefix hash {:#x} vs {:#x}",
                    batch.base_offset, batch.epoch, batch.last_offset, known.0, batch.prefix_hash, known.1
                );
                self.report(time_ms, Invariant::LogMatching, Some(node), detail);
            }
            return;
        }
        let previous = self
            .batch_identity
            .range((batch.epoch, i64::MIN)..key)
            .next_back()
            .map(|(&(_, base), &(last, _))| (base, last));
        let next = self
            .batch_identity
            .range((batch.epoch, batch.base_offset + 1)..=(batch.epoch, i64::MAX))
            .next()
            .map(|(&(_, base), &(last, _))| (base, last));
        for (base, last) in previous.into_iter().chain(next) {
            if base <= batch.last_offset && batch.base_offset <= last {
                let detail = format!(
                    "batch [{}, {}] of epoch {} overlaps a different batch [{base}, {last}] of the same epoch",
                    batch.base_offset, batch.last_offset, batch.epoch
                );
                self.report(time_ms, Invariant::LogMatching, Some(node), detail);
                return;
            }
        }
        self.batch_identity.insert(key, value);
    }
}
