//! The workload: local appends on whichever node believes it leads, and now and then on one that
//! does not (which must refuse them).

use super::Cluster;

impl Cluster {
    /// Local appends on whichever node believes it leads (and now and then on a node that does
    /// not, which must be refused).
    pub(super) fn workload(&mut self) {
        if self.settle_until_ms.is_some() {
            return;
        }
        let leader = (0..self.nodes.len())
            .filter(|&i| self.is_running(i))
            .filter_map(|i| {
                let view = self.listener_view(i)?;
                (view.leader_id == Some(self.nodes[i].id)).then_some((view.epoch, i))
            })
            .max();
        let stray = self.rng.chance(0.05);
        let target = match leader {
            Some(leader) if !stray => leader,
            _ => {
                let up: Vec<usize> = (0..self.nodes.len())
                    .filter(|&i| self.is_running(i))
                    .collect();
                if up.is_empty() {
                    return;
                }
                let i = up[self.rng.index(up.len())];
                let epoch = self.listener_view(i).map_or(0, |v| v.epoch);
                (epoch, i)
            }
        };
        let (epoch, i) = target;
        // Mostly single records, sometimes a burst that fills batches and the append queue.
        let records = if self.rng.chance(0.1) {
            self.rng.range_inclusive(2, 60)
        } else {
            1
        };
        for _ in 0..records {
            if !self.is_running(i) {
                return;
            }
            self.append_one(i, epoch);
        }
    }

    pub(super) fn append_one(&mut self, i: usize, epoch: i32) {
        let now = self.now_ms;
        let size = self.rng.range_inclusive(8, 200) as usize;
        let mut value = vec![0u8; size];
        self.rng.fill_bytes(&mut value);
        self.hash_words(&[5, now, i as u64, epoch as u64, size as u64]);
        let clock = self.node_clock(i);
        let Some(core) = self.nodes[i].core.as_mut() else {
            return;
        };
        self.steps += 1;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            core.append(clock, epoch, &value)
        }));
        match result {
            Ok(Ok(offset)) => {
                self.hash_words(&[6, offset as u64]);
                let id = self.nodes[i].id;
                self.trace_line(|| format!("node {id} appended {size} bytes at offset {offset}"));
                self.checker.on_workload_append(offset);
                self.after_core_call(i);
            }
            Ok(Err(e)) => {
                let id = self.nodes[i].id;
                self.trace_line(|| format!("node {id} refused append: {e}"));
                self.after_core_call(i);
            }
            Err(panic) => self.core_panicked(i, panic),
        }
    }
}
