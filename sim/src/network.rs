//! Simulated network: messages with a delivery time, random delay, loss, duplication and
//! reordering, and partitions that cut links until healed. All randomness comes from the caller's
//! `SimRng`, so a run replays exactly from its seed.

use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap};

use crate::rng::SimRng;

/// Replica id of a simulated node (Kafka's `node.id`).
pub type NodeId = i32;

#[derive(Clone, Debug, PartialEq)]
pub struct NetworkConfig {
    /// Delay of a normal message, drawn uniformly in `[min_delay_ms, max_delay_ms]`.
    pub min_delay_ms: u64,
    pub max_delay_ms: u64,
    /// Probability (per million) that a message is lost.
    pub drop_ppm: u32,
    /// Probability (per million) that a message is delivered twice (the copy has its own delay).
    pub duplicate_ppm: u32,
    /// Probability (per million) that a message is held back for `slow_delay_ms` extra, which
    /// reorders it behind later traffic on the same link.
    pub slow_ppm: u32,
    pub slow_delay_ms: u64,
    /// Upper bound on messages in flight; beyond it a send is dropped (keeps memory bounded if a
    /// core misbehaves and floods the network).
    pub max_in_flight: usize,
}

impl NetworkConfig {
    /// A network that delivers everything in order after a fixed delay: for liveness phases and
    /// unit tests.
    pub fn reliable(delay_ms: u64) -> NetworkConfig {
        NetworkConfig {
            min_delay_ms: delay_ms,
            max_delay_ms: delay_ms,
            drop_ppm: 0,
            duplicate_ppm: 0,
            slow_ppm: 0,
            slow_delay_ms: 0,
            max_in_flight: 100_000,
        }
    }
}

/// A message on the wire.
#[derive(Clone, Debug)]
pub struct InFlight<M> {
    pub deliver_at_ms: u64,
    /// Send order; breaks ties between equal delivery times deterministically.
    pub seq: u64,
    pub from: NodeId,
    pub to: NodeId,
    pub message: M,
}

impl<M> PartialEq for InFlight<M> {
    fn eq(&self, other: &Self) -> bool {
        self.deliver_at_ms == other.deliver_at_ms && self.seq == other.seq
    }
}
impl<M> Eq for InFlight<M> {}
impl<M> PartialOrd for InFlight<M> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for InFlight<M> {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the earliest delivery first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.deliver_at_ms, other.seq).cmp(&(self.deliver_at_ms, self.seq))
    }
}

/// What happened to a sent message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// On its way (`copies` = 2 when duplicated).
    Queued { copies: u8 },
    /// Lost at random.
    Dropped,
    /// The link is cut by a partition.
    Partitioned,
    /// The in-flight bound was reached.
    Overloaded,
}

impl SendOutcome {
    pub fn delivered(self) -> bool {
        matches!(self, SendOutcome::Queued { .. })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkStats {
    pub sent: u64,
    pub delivered: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub cut_by_partition: u64,
}

#[derive(Debug)]
pub struct Network<M> {
    config: NetworkConfig,
    queue: BinaryHeap<InFlight<M>>,
    /// Directed links that are cut: `(from, to)`.
    blocked: BTreeSet<(NodeId, NodeId)>,
    next_seq: u64,
    stats: NetworkStats,
}

impl<M: Clone> Network<M> {
    pub fn new(config: NetworkConfig) -> Network<M> {
        assert!(
            config.min_delay_ms <= config.max_delay_ms,
            "network delay range is empty"
        );
        Network {
            config,
            queue: BinaryHeap::new(),
            blocked: BTreeSet::new(),
            next_seq: 0,
            stats: NetworkStats::default(),
        }
    }

    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    pub fn set_config(&mut self, config: NetworkConfig) {
        assert!(
            config.min_delay_ms <= config.max_delay_ms,
            "network delay range is empty"
        );
        self.config = config;
    }

    pub fn stats(&self) -> &NetworkStats {
        &self.stats
    }

    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    fn draw_delay_ms(&self, rng: &mut SimRng) -> u64 {
        let mut delay = rng.range_inclusive(self.config.min_delay_ms, self.config.max_delay_ms);
        if self.config.slow_ppm > 0 && rng.chance_ppm(self.config.slow_ppm) {
            delay += self.config.slow_delay_ms;
        }
        delay
    }

    /// Puts `message` on the wire at `now_ms`. The outcome is known at once so the caller can model
    /// the sender's view (a request that never arrives eventually times out).
    pub fn send(
        &mut self,
        now_ms: u64,
        from: NodeId,
        to: NodeId,
        message: M,
        rng: &mut SimRng,
    ) -> SendOutcome {
        self.stats.sent += 1;
        if self.blocked.contains(&(from, to)) {
            self.stats.cut_by_partition += 1;
            return SendOutcome::Partitioned;
        }
        if self.config.drop_ppm > 0 && rng.chance_ppm(self.config.drop_ppm) {
            self.stats.dropped += 1;
            return SendOutcome::Dropped;
        }
        if self.queue.len() >= self.config.max_in_flight {
            self.stats.dropped += 1;
            return SendOutcome::Overloaded;
        }
        let duplicate = self.config.duplicate_ppm > 0 && rng.chance_ppm(self.config.duplicate_ppm);
        if duplicate {
            let delay = self.draw_delay_ms(rng);
            self.push(now_ms + delay, from, to, message.clone());
            self.stats.duplicated += 1;
        }
        let delay = self.draw_delay_ms(rng);
        self.push(now_ms + delay, from, to, message);
        SendOutcome::Queued {
            copies: if duplicate { 2 } else { 1 },
        }
    }

    fn push(&mut self, deliver_at_ms: u64, from: NodeId, to: NodeId, message: M) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push(InFlight {
            deliver_at_ms,
            seq,
            from,
            to,
            message,
        });
    }

    /// Delivery time of the earliest message in flight.
    pub fn next_delivery_ms(&self) -> Option<u64> {
        self.queue.peek().map(|m| m.deliver_at_ms)
    }

    /// The earliest message due at or before `now_ms`. A message whose link was cut while it was in
    /// flight is lost (a partition breaks the connection it travelled on); `None` when nothing is
    /// due. Lost messages are skipped, at most `max_in_flight` of them per call.
    pub fn pop_due(&mut self, now_ms: u64) -> Option<InFlight<M>> {
        let bound = self.queue.len();
        for _ in 0..=bound {
            let due = matches!(self.queue.peek(), Some(m) if m.deliver_at_ms <= now_ms);
            if !due {
                return None;
            }
            let message = self.queue.pop()?;
            if self.blocked.contains(&(message.from, message.to)) {
                self.stats.cut_by_partition += 1;
                continue;
            }
            self.stats.delivered += 1;
            return Some(message);
        }
        None
    }

    /// Drops everything in flight to or from `node` (a crashed node's connections are gone).
    pub fn drop_node_traffic(&mut self, node: NodeId) {
        let before = self.queue.len();
        let kept: Vec<InFlight<M>> = std::mem::take(&mut self.queue)
            .into_vec()
            .into_iter()
            .filter(|m| m.from != node && m.to != node)
            .collect();
        self.stats.dropped += (before - kept.len()) as u64;
        self.queue = BinaryHeap::from(kept);
    }

    pub fn is_link_up(&self, from: NodeId, to: NodeId) -> bool {
        !self.blocked.contains(&(from, to))
    }

    /// Cuts the link between `a` and `b` in both directions.
    pub fn cut(&mut self, a: NodeId, b: NodeId) {
        if a != b {
            self.blocked.insert((a, b));
            self.blocked.insert((b, a));
        }
    }

    /// Cuts only `from -> to` (asymmetric partition: `to` still hears nothing from `from`).
    pub fn cut_one_way(&mut self, from: NodeId, to: NodeId) {
        if from != to {
            self.blocked.insert((from, to));
        }
    }

    /// Splits `nodes` into `groups`: links inside a group stay as they are, links across groups
    /// are cut. Nodes in no group are cut from everyone.
    pub fn partition(&mut self, nodes: &[NodeId], groups: &[Vec<NodeId>]) {
        let group_of = |n: NodeId| groups.iter().position(|g| g.contains(&n));
        for &a in nodes {
            for &b in nodes {
                if a == b {
                    continue;
                }
                let same = matches!((group_of(a), group_of(b)), (Some(x), Some(y)) if x == y);
                if !same {
                    self.blocked.insert((a, b));
                }
            }
        }
    }

    /// Cuts `node` off from every other node.
    pub fn isolate(&mut self, nodes: &[NodeId], node: NodeId) {
        for &other in nodes {
            self.cut(node, other);
        }
    }

    /// Restores every link.
    pub fn heal(&mut self) {
        self.blocked.clear();
    }

    pub fn has_partition(&self) -> bool {
        !self.blocked.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(net: &mut Network<u32>, until_ms: u64) -> Vec<(u64, NodeId, NodeId, u32)> {
        let mut out = Vec::new();
        while let Some(m) = net.pop_due(until_ms) {
            out.push((m.deliver_at_ms, m.from, m.to, m.message));
        }
        out
    }

    #[test]
    fn reliable_network_delivers_in_send_order_after_delay() {
        let mut rng = SimRng::new(1);
        let mut net = Network::new(NetworkConfig::reliable(5));
        for i in 0..10u32 {
            assert!(net.send(100, 1, 2, i, &mut rng).delivered());
        }
        assert_eq!(net.next_delivery_ms(), Some(105));
        assert!(
            net.pop_due(104).is_none(),
            "nothing is delivered before its time"
        );
        let got = drain(&mut net, 105);
        assert_eq!(
            got.iter().map(|m| m.3).collect::<Vec<_>>(),
            (0..10).collect::<Vec<_>>()
        );
        assert_eq!(net.stats().delivered, 10);
    }

    #[test]
    fn faults_drop_duplicate_and_reorder() {
        let mut rng = SimRng::new(9);
        let mut net = Network::new(NetworkConfig {
            min_delay_ms: 1,
            max_delay_ms: 50,
            drop_ppm: 200_000,
            duplicate_ppm: 200_000,
            slow_ppm: 50_000,
            slow_delay_ms: 1_000,
            max_in_flight: 10_000,
        });
        for i in 0..1000u32 {
            net.send(0, 1, 2, i, &mut rng);
        }
        let got: Vec<u32> = drain(&mut net, 10_000).into_iter().map(|m| m.3).collect();
        let stats = net.stats().clone();
        assert!(stats.dropped > 100 && stats.duplicated > 100, "{stats:?}");
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_ne!(got, sorted, "random delays reorder messages");
        sorted.dedup();
        assert!(sorted.len() < got.len(), "some messages arrive twice");
    }

    #[test]
    fn partition_cuts_new_and_in_flight_messages_until_heal() {
        let mut rng = SimRng::new(3);
        let mut net = Network::new(NetworkConfig::reliable(10));
        let nodes = [1, 2, 3];
        net.send(0, 1, 3, 7, &mut rng);
        net.partition(&nodes, &[vec![1, 2], vec![3]]);
        assert_eq!(net.send(0, 3, 1, 8, &mut rng), SendOutcome::Partitioned);
        assert!(net.send(0, 1, 2, 9, &mut rng).delivered());
        let got = drain(&mut net, 100);
        assert_eq!(
            got,
            vec![(10, 1, 2, 9)],
            "in-flight message across the cut is lost"
        );
        net.heal();
        assert!(net.send(100, 3, 1, 10, &mut rng).delivered());
        assert_eq!(drain(&mut net, 200), vec![(110, 3, 1, 10)]);
    }

    #[test]
    fn one_way_cut_and_isolation() {
        let mut rng = SimRng::new(3);
        let mut net: Network<u32> = Network::new(NetworkConfig::reliable(1));
        net.cut_one_way(1, 2);
        assert!(!net.is_link_up(1, 2));
        assert!(net.is_link_up(2, 1));
        net.heal();
        net.isolate(&[1, 2, 3], 2);
        assert!(!net.is_link_up(1, 2) && !net.is_link_up(2, 3) && net.is_link_up(1, 3));
        net.send(0, 1, 3, 1, &mut rng);
        net.send(0, 3, 1, 2, &mut rng);
        net.drop_node_traffic(3);
        assert_eq!(net.in_flight(), 0);
    }
}
