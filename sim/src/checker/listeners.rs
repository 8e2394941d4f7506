//! Listeners: committed batches handed in order, whole and once; leader changes in epoch order
//! and never missed (spec 5.3).

use super::{Checker, Invariant};
use crate::disk::SimDisk;
use crate::network::NodeId;

impl Checker {
    /// A listener of `node` was registered (again): it starts from offset 0.
    pub fn on_listener_registered(&mut self, node: NodeId, listener_id: u64) {
        self.listener_next_offsets.insert((node, listener_id), 0);
    }

    /// A listener of `node` was handed committed offsets `[from_offset, to_offset_exclusive)`.
    pub fn on_listener_commit<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        listener_id: u64,
        from_offset: i64,
        to_offset_exclusive: i64,
        disk: &SimDisk<Q>,
    ) {
        let expected = self
            .listener_next_offsets
            .get(&(node, listener_id))
            .copied()
            .unwrap_or(0);
        if from_offset != expected || to_offset_exclusive <= from_offset {
            let detail = format!(
                "listener {listener_id} handed [{from_offset}, {to_offset_exclusive}) but its next offset is {expected}"
            );
            self.report(time_ms, Invariant::ListenerOrder, Some(node), detail);
        } else {
            // handleCommit hands over whole batches.
            let starts_batch = disk
                .batch_containing(from_offset)
                .is_some_and(|b| b.base_offset == from_offset);
            let ends_batch = disk
                .batch_containing(to_offset_exclusive - 1)
                .is_some_and(|b| b.last_offset == to_offset_exclusive - 1);
            if !starts_batch || !ends_batch {
                let detail = format!(
                    "listener {listener_id} handed [{from_offset}, {to_offset_exclusive}), which is not whole batches of the log"
                );
                self.report(time_ms, Invariant::ListenerOrder, Some(node), detail);
            }
        }
        self.listener_next_offsets
            .insert((node, listener_id), to_offset_exclusive.max(expected));
        self.on_committed_up_to(time_ms, node, to_offset_exclusive, disk, "listener commit");
    }

    /// A listener of `node` is told `new` (leader, epoch) after `previous` (spec 5.3): epochs never
    /// go back, at most two calls per epoch (unknown leader, then the leader), and the node's own
    /// leadership only once the listener has passed the epoch's start offset (KAFKA-15345).
    pub fn on_listener_leader_change<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        listener_id: u64,
        previous: Option<(Option<NodeId>, i32)>,
        new: (Option<NodeId>, i32),
        disk: &SimDisk<Q>,
    ) {
        let (leader, epoch) = new;
        if let Some((previous_leader, previous_epoch)) = previous {
            let ok = epoch > previous_epoch
                || (epoch == previous_epoch && previous_leader.is_none() && leader.is_some());
            if !ok {
                let detail = format!(
                    "listener {listener_id} told (leader {leader:?}, epoch {epoch}) after (leader {previous_leader:?}, epoch {previous_epoch})"
                );
                self.report(time_ms, Invariant::ListenerLeader, Some(node), detail);
                return;
            }
        }
        if leader == Some(node) {
            let next = self
                .listener_next_offsets
                .get(&(node, listener_id))
                .copied()
                .unwrap_or(0);
            let batches = disk.batches();
            let first = batches.partition_point(|b| b.epoch < epoch);
            let log_start = disk.start_offset();
            let start = if first == 0 && disk.epoch_before(log_start) == Some(epoch) {
                // The epoch starts below the log start (retention or a snapshot).
                Some(log_start - 1)
            } else {
                batches
                    .get(first)
                    .filter(|b| b.epoch == epoch)
                    .map(|b| b.base_offset)
            };
            if start.is_none_or(|start| next <= start) {
                let detail = format!(
                    "listener {listener_id} told of own leadership of epoch {epoch} at next offset {next}, epoch start {start:?}"
                );
                self.report(time_ms, Invariant::ListenerLeader, Some(node), detail);
            }
        }
    }

    /// After a step of `node`: its listener was last told `view` ((leader, epoch), `None` = nothing
    /// yet) while the node is at `current`. Outside Resigned and own leadership (both may hold
    /// notifications back), the listener must know the current epoch and any remote leader.
    pub fn check_listener_view(
        &mut self,
        time_ms: u64,
        node: NodeId,
        listener_id: u64,
        resigned: bool,
        current: (Option<NodeId>, i32),
        view: Option<(Option<NodeId>, i32)>,
    ) {
        let (leader, epoch) = current;
        if resigned || leader == Some(node) || (epoch == 0 && leader.is_none()) {
            return;
        }
        let ok = match view {
            Some((seen_leader, seen_epoch)) => {
                seen_epoch == epoch && (leader.is_none() || seen_leader == leader)
            }
            None => false,
        };
        if !ok {
            let detail = format!(
                "listener {listener_id} was last told {view:?} but the node is at (leader {leader:?}, epoch {epoch})"
            );
            self.report(time_ms, Invariant::ListenerLeader, Some(node), detail);
        }
    }

    /// A listener of `node` loaded a snapshot ending at `end_offset`.
    pub fn on_listener_snapshot(&mut self, node: NodeId, listener_id: u64, end_offset: i64) {
        self.listener_next_offsets
            .insert((node, listener_id), end_offset);
    }
}
