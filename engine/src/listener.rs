//! Listener bookkeeping (spec 5.3): each listener's next offset and the last leader it was told.

use crate::io::{LeaderAndEpoch, ListenerId};

/// At most this many listeners (the runtime registers a handful).
pub(crate) const MAX_LISTENERS: usize = 64;

#[derive(Clone, Debug)]
pub(crate) struct ListenerState {
    pub(crate) id: ListenerId,
    /// First offset not yet delivered with a Commit.
    pub(crate) next_offset: i64,
    /// Last LeaderChange fired; initially (none, 0) so nothing fires for epoch 0 without leader.
    pub(crate) last_fired: LeaderAndEpoch,
}

impl ListenerState {
    pub(crate) fn new(id: ListenerId) -> Self {
        ListenerState {
            id,
            next_offset: 0,
            last_fired: LeaderAndEpoch {
                leader_id: None,
                epoch: 0,
            },
        }
    }

    /// Kafka's `shouldFireLeaderChange`: fire when the value differs and either the epoch rose or
    /// the leader became known.
    pub(crate) fn should_fire(&self, current: LeaderAndEpoch) -> bool {
        if current == self.last_fired {
            false
        } else if current.epoch > self.last_fired.epoch {
            true
        } else {
            current.epoch == self.last_fired.epoch
                && current.leader_id.is_some()
                && self.last_fired.leader_id.is_none()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le(leader_id: Option<i32>, epoch: i32) -> LeaderAndEpoch {
        LeaderAndEpoch { leader_id, epoch }
    }

    #[test]
    fn fires_on_higher_epoch_or_newly_known_leader_only() {
        let mut l = ListenerState::new(1);
        assert!(!l.should_fire(le(None, 0)));
        assert!(l.should_fire(le(None, 1)));
        l.last_fired = le(None, 1);
        assert!(l.should_fire(le(Some(2), 1)));
        l.last_fired = le(Some(2), 1);
        assert!(!l.should_fire(le(None, 1)));
        assert!(!l.should_fire(le(Some(3), 0)));
        assert!(l.should_fire(le(Some(3), 2)));
    }
}
