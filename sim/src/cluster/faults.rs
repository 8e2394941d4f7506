//! Faults and phases: pauses, crashes, partitions, lossy links, shutdowns and resignations in
//! chaos; calm windows (everything healed and up) in which liveness is judged; the final phase
//! in which every voter of the final voter set must catch up with the committed log.

use kraft_engine::io::Input;
use kraft_engine::StateName;

use super::membership::voter_disks;
use super::{Cluster, EventKind};
use crate::disk::CrashConfig;
use crate::network::{NetworkConfig, NodeId};

/// How long the final phase gives the final voters to catch up.
const SETTLE_MS: u64 = 10_000;
const SETTLE_CHECK_EVERY_MS: u64 = 100;

pub(super) fn calm_network() -> NetworkConfig {
    NetworkConfig {
        min_delay_ms: 1,
        max_delay_ms: 5,
        drop_ppm: 0,
        duplicate_ppm: 0,
        slow_ppm: 0,
        slow_delay_ms: 0,
        max_in_flight: 100_000,
    }
}

impl Cluster {
    pub(super) fn resume(&mut self, i: usize) {
        self.nodes[i].paused_until_ms = 0;
        let to = self.nodes[i].id;
        let deferred = std::mem::take(&mut self.nodes[i].deferred);
        self.trace_line(|| format!("node {to} resumes with {} messages", deferred.len()));
        for (from, wire) in deferred {
            self.deliver(from, to, wire);
        }
        // Messages delivered above may have begun another quorum-state write.
        if !self.is_paused(i) {
            self.tick_node(i);
        }
    }

    pub(super) fn pause(&mut self, i: usize, duration_ms: u64) {
        if !self.is_running(i) {
            return;
        }
        self.nodes[i].paused_until_ms = self.now_ms + duration_ms;
        let incarnation = self.nodes[i].incarnation;
        self.schedule(
            duration_ms,
            EventKind::Resume {
                node: i,
                incarnation,
            },
        );
    }

    pub(super) fn all_ids(&self) -> Vec<NodeId> {
        self.nodes.iter().map(|n| n.id).collect()
    }

    /// The node with the highest epoch that believes it leads, if any.
    pub(super) fn current_leader(&self) -> Option<usize> {
        (0..self.nodes.len())
            .filter_map(|i| {
                let status = self.nodes[i].core.as_ref()?.status();
                (status.state == StateName::Leader).then_some((status.epoch, i))
            })
            .max()
            .map(|(_, i)| i)
    }

    pub(super) fn begin_chaos(&mut self) {
        let length = self.rng.range_inclusive(2_000, 8_000);
        self.chaos_until_ms = self.now_ms + length;
        self.checker.end_calm();
        let profile = self.random_network();
        self.network.set_config(profile);
        self.corrupt_ppm = if self.rng.chance(0.3) {
            self.rng.range_inclusive(1_000, 30_000) as u32
        } else {
            0
        };
        self.crash_config = CrashConfig {
            torn_write_probability: 0.5,
            unflushed_survive_probability: if self.rng.chance(0.3) { 0.3 } else { 0.0 },
        };
        self.flush_delay_max_ms = if self.rng.chance(0.2) {
            self.rng.range_inclusive(50, 400)
        } else {
            self.rng.range_inclusive(1, 10)
        };
        self.trace_line(|| format!("chaos for {length} ms"));
        let gap = self.rng.range_inclusive(0, 1_000);
        self.schedule(gap, EventKind::Fault);
    }

    pub(super) fn random_network(&mut self) -> NetworkConfig {
        let max_delay_ms = self.rng.range_inclusive(1, 60);
        NetworkConfig {
            min_delay_ms: self.rng.range_inclusive(0, max_delay_ms.min(3)),
            max_delay_ms,
            drop_ppm: if self.rng.chance(0.5) {
                self.rng.below(60_000) as u32
            } else {
                0
            },
            duplicate_ppm: if self.rng.chance(0.5) {
                self.rng.below(30_000) as u32
            } else {
                0
            },
            slow_ppm: if self.rng.chance(0.3) {
                self.rng.below(20_000) as u32
            } else {
                0
            },
            slow_delay_ms: self.rng.range_inclusive(100, 2_500),
            max_in_flight: 100_000,
        }
    }

    pub(super) fn inject_fault(&mut self) {
        let pick = self.rng.below(110);
        let action = match pick {
            0..=29 => self.crash_fault(pick),
            30..=80 => self.network_fault(pick),
            _ => self.process_fault(pick),
        };
        self.hash_words(&[7, self.now_ms, pick]);
        self.trace_line(|| format!("fault: {action}"));
    }

    /// The power loss `pick` chose; returns what it did, for the trace.
    fn crash_fault(&mut self, pick: u64) -> String {
        let n = self.nodes.len();
        let action;
        match pick {
            0..=11 => {
                let i = self.rng.index(n);
                action = format!("crash node {}", self.nodes[i].id);
                self.crash(i);
            }
            12..=14 => {
                // Power loss in a whole rack: several nodes, possibly all, at once.
                let count = self.rng.range_inclusive(2, n as u64) as usize;
                let mut victims: Vec<usize> = (0..n).collect();
                for k in (1..victims.len()).rev() {
                    let j = self.rng.index(k + 1);
                    victims.swap(k, j);
                }
                victims.truncate(count);
                action = format!("crash nodes {victims:?} (indexes)");
                for i in victims {
                    self.crash(i);
                }
            }
            _ => {
                action = match self.current_leader() {
                    Some(i) => {
                        let s = format!("crash leader {}", self.nodes[i].id);
                        self.crash(i);
                        s
                    }
                    None => "crash leader (none)".to_string(),
                };
            }
        }
        action
    }

    /// The network fault `pick` chose; returns what it did, for the trace.
    fn network_fault(&mut self, pick: u64) -> String {
        let n = self.nodes.len();
        let ids = self.all_ids();
        let action;
        match pick {
            30..=44 => {
                let mut shuffled = ids.clone();
                for k in (1..shuffled.len()).rev() {
                    let j = self.rng.index(k + 1);
                    shuffled.swap(k, j);
                }
                let cut = 1 + self.rng.index(shuffled.len() - 1);
                let groups = vec![shuffled[..cut].to_vec(), shuffled[cut..].to_vec()];
                action = format!("partition {groups:?}");
                self.network.heal();
                self.network.partition(&ids, &groups);
            }
            45..=54 => {
                action = match self.current_leader() {
                    Some(i) => {
                        let id = self.nodes[i].id;
                        self.network.isolate(&ids, id);
                        format!("isolate leader {id}")
                    }
                    None => "isolate leader (none)".to_string(),
                };
            }
            55..=62 => {
                let a = ids[self.rng.index(n)];
                let b = ids[self.rng.index(n)];
                self.network.cut_one_way(a, b);
                action = format!("cut {a} -> {b}");
            }
            63..=72 => {
                self.network.heal();
                action = "heal".to_string();
            }
            _ => {
                let profile = self.random_network();
                action = format!("network {profile:?}");
                self.network.set_config(profile);
            }
        }
        action
    }

    /// The process fault (stop, resignation, restart, late listener, freeze) `pick` chose; returns what it did, for the trace.
    fn process_fault(&mut self, pick: u64) -> String {
        let n = self.nodes.len();
        let action;
        match pick {
            81..=86 => {
                let i = self.rng.index(n);
                action = format!("graceful shutdown of node {}", self.nodes[i].id);
                if self.is_running(i) && !self.nodes[i].stopping {
                    self.nodes[i].stopping = true;
                    self.step_node(i, Input::Shutdown);
                }
            }
            87..=92 => {
                action = match self.current_leader() {
                    Some(i) if self.is_running(i) => {
                        let epoch = self.nodes[i].core.as_ref().map_or(0, |c| c.status().epoch);
                        self.step_node(i, Input::Resign { epoch });
                        format!("leader {} resigns epoch {epoch}", self.nodes[i].id)
                    }
                    _ => "resign (no running leader)".to_string(),
                };
            }
            93..=96 => {
                let down: Vec<usize> = (0..n).filter(|&i| !self.is_up(i)).collect();
                action = format!("restart {} nodes", down.len());
                for i in down {
                    self.start_node(i);
                }
            }
            97..=99 => {
                // A second listener registered late (KAFKA-16286 path).
                let i = self.rng.index(n);
                action = format!("late listener on node {}", self.nodes[i].id);
                if self.is_running(i) && self.nodes[i].listeners.len() < 4 {
                    self.register_listener(i);
                }
            }
            _ => {
                // A process freeze (GC pause, stalled VM), often of the leader: it wakes up
                // believing it still leads, with a backlog of stale messages.
                let i = match self.current_leader() {
                    Some(leader) if self.rng.chance(0.5) => leader,
                    _ => self.rng.index(n),
                };
                let duration_ms = self.rng.range_inclusive(100, 4_000);
                action = format!("pause node {} for {duration_ms} ms", self.nodes[i].id);
                self.pause(i, duration_ms);
            }
        }
        action
    }

    /// Heal everything, bring every node up, and demand progress within the liveness bound.
    pub(super) fn begin_calm(&mut self) {
        self.corrupt_ppm = 0;
        self.network.heal();
        self.network.set_config(calm_network());
        self.flush_delay_max_ms = self.flush_delay_max_ms.min(10);
        for i in 0..self.nodes.len() {
            if self.is_up(i) && self.nodes[i].stopping {
                // A graceful shutdown in progress would take the node away during the window
                // (seed 71172): power it off and bring it back at once instead.
                self.crash(i);
            }
            if !self.is_up(i) {
                self.start_node(i);
            } else if self.is_paused(i) {
                self.resume(i);
            }
        }
        // Liveness is owed to a connected majority: often keep a minority of voters out
        // (crashed, or running but cut off) for the whole calm window.
        let mut voters = self.committed_voter_indexes();
        // A voter change in flight is in force on its leader already (KIP-853): holding out a
        // minority of the committed set could be a majority of the new one. Nobody is held out
        // then.
        let changing = self.checker.pending_voter_sets().next().is_some();
        let minority = if changing {
            0
        } else {
            voters.len().saturating_sub(1) / 2
        };
        if self.options.faults && minority > 0 && self.rng.chance(0.4) {
            let count = self.rng.range_inclusive(1, minority as u64) as usize;
            for k in (1..voters.len()).rev() {
                let j = self.rng.index(k + 1);
                voters.swap(k, j);
            }
            voters.truncate(count);
            let ids = self.all_ids();
            for &i in &voters {
                if self.rng.chance(0.5) {
                    self.crash(i);
                } else {
                    self.network.isolate(&ids, self.nodes[i].id);
                }
            }
            let held: Vec<NodeId> = voters.iter().map(|&i| self.nodes[i].id).collect();
            self.trace_line(|| format!("calm, voters {held:?} held out"));
            self.held_out = voters;
        } else {
            self.trace_line(|| "calm".to_string());
        }
        if self.options.trace_lines > 0 {
            let nodes = self.describe_nodes();
            self.trace_line(|| nodes);
        }
        self.checker
            .begin_calm(self.now_ms, self.options.liveness_bound_ms);
    }

    /// Every node's state, epoch, log end and voter set, for the trace.
    fn describe_nodes(&self) -> String {
        let states: Vec<String> = self
            .nodes
            .iter()
            .map(|n| match n.core.as_ref() {
                Some(core) => {
                    let s = core.status();
                    format!(
                        "{}: {:?} epoch {} end {} voters {:?}",
                        n.id,
                        s.state,
                        s.epoch,
                        s.log_end_offset,
                        core.voter_set().ids().collect::<Vec<_>>()
                    )
                }
                None => format!("{}: down", n.id),
            })
            .collect();
        format!("nodes: {}", states.join("; "))
    }

    /// After a calm window is judged: start the next chaos phase, or stop.
    pub(super) fn after_calm(&mut self) {
        self.network.heal();
        for i in std::mem::take(&mut self.held_out) {
            if !self.is_up(i) {
                self.start_node(i);
            }
        }
        if self.options.faults && self.now_ms < self.options.duration_ms {
            self.begin_chaos();
        } else if self.now_ms >= self.options.duration_ms {
            self.begin_settle();
        } else {
            // No faults: keep demanding progress until the duration is over.
            self.checker
                .begin_calm(self.now_ms, self.options.liveness_bound_ms);
        }
    }

    /// The end of a run: everything healed and up, no workload and no voter changes; every
    /// voter of the final voter set must then catch up with the whole committed log.
    fn begin_settle(&mut self) {
        self.settle_until_ms = Some(self.now_ms + SETTLE_MS);
        self.corrupt_ppm = 0;
        self.network.heal();
        self.network.set_config(calm_network());
        for i in 0..self.nodes.len() {
            if !self.is_up(i) {
                self.start_node(i);
            } else if self.is_paused(i) {
                self.resume(i);
            }
        }
        self.trace_line(|| "settling".to_string());
        self.schedule(SETTLE_CHECK_EVERY_MS, EventKind::Settle);
    }

    /// Whether the final voters hold the committed log; at the end of the phase, each that does
    /// not is reported.
    pub(super) fn check_settled(&mut self) {
        let Some(until_ms) = self.settle_until_ms else {
            return;
        };
        let voters = self.checker.committed_voters().to_vec();
        let disks = voter_disks(&self.nodes, &self.empty_disk, &voters);
        let lacking: Vec<NodeId> = disks
            .iter()
            .filter(|(_, disk)| !self.checker.holds_committed_log(disk))
            .map(|&(id, _)| id)
            .collect();
        if lacking.is_empty() {
            self.stop = true;
        } else if self.now_ms >= until_ms {
            for id in lacking {
                self.checker.on_final_voter_lacks_committed(self.now_ms, id);
            }
            self.stop = true;
        } else {
            self.schedule(SETTLE_CHECK_EVERY_MS, EventKind::Settle);
        }
    }
}
