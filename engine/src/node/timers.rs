//! Timers (spec 2.3): everything that happens because time passed.

use super::RaftNode;
use crate::state::QuorumState;

impl RaftNode {
    /// Runs every due timer at `self.now_ms`. Each transition resets the timer that fired, so
    /// the loop is bounded; the bound guards against a bug turning it into a spin.
    pub(super) fn poll_timers(&mut self) {
        for _ in 0..16 {
            if !self.poll_one_timer() {
                break;
            }
        }
        self.poll_request_timeouts();
        self.expire_voter_change();
        self.expire_parked_fetches();
        self.drain_accumulator();
    }

    /// Fires at most one state timer; returns whether one fired.
    fn poll_one_timer(&mut self) -> bool {
        let now = self.now_ms;
        let shutting_down = self.shutdown.is_some();
        let is_voter = self.may_run_for_leader();
        match &mut self.state {
            QuorumState::Unattached(s) => {
                if s.election_deadline_ms.is_some_and(|d| now >= d) {
                    if shutting_down {
                        s.election_deadline_ms = None;
                        return false;
                    }
                    self.start_election();
                    return true;
                }
            }
            QuorumState::Prospective(s) => {
                if now >= s.election_deadline_ms {
                    self.prospective_give_up();
                    return true;
                }
            }
            QuorumState::Candidate(c) => {
                if let Some(backoff) = c.backoff_deadline_ms {
                    if now >= backoff {
                        self.start_election();
                        return true;
                    }
                } else if now >= c.election_deadline_ms {
                    if self.config.pre_vote {
                        // Kafka 4.x: back to Prospective (its random timeout spreads retries).
                        if shutting_down {
                            c.election_deadline_ms = u64::MAX;
                            return false;
                        }
                        self.start_election();
                        return true;
                    }
                    // Baseline: election timed out undecided: back off before trying again.
                    let retries = c.retries;
                    let backoff = self.election_backoff_ms(retries);
                    if let QuorumState::Candidate(c) = &mut self.state {
                        c.backoff_deadline_ms = Some(now.saturating_add(backoff));
                    }
                    return true;
                }
            }
            QuorumState::Follower(f) => {
                if now >= f.fetch_deadline_ms {
                    if is_voter {
                        if shutting_down {
                            f.fetch_deadline_ms = u64::MAX;
                            return false;
                        }
                        self.start_election();
                    } else {
                        // Observer: ask a bootstrap server (or voter) who leads now.
                        let pick = self.pick_bootstrap_target();
                        if let QuorumState::Follower(f) = &mut self.state {
                            f.rediscover_from = pick;
                            f.fetch_deadline_ms = now.saturating_add(self.config.fetch_timeout_ms);
                        }
                    }
                    return true;
                }
            }
            QuorumState::Leader(_) => return self.poll_leader_timer(),
            QuorumState::Resigned(r) => {
                if now >= r.election_deadline_ms {
                    let epoch = r.epoch;
                    if self.may_run_for_leader() && !self.config.pre_vote && !shutting_down {
                        self.transition_to_candidate();
                    } else if let Some(next) = epoch.checked_add(1) {
                        self.transition_to_unattached(next, None);
                    } else {
                        if let QuorumState::Resigned(r) = &mut self.state {
                            r.election_deadline_ms = u64::MAX;
                        }
                        return false;
                    }
                    return true;
                }
            }
        }
        false
    }

    /// The leader's timers: a requested resignation, check quorum, the BeginQuorumEpoch period.
    fn poll_leader_timer(&mut self) -> bool {
        let now = self.now_ms;
        let begin_quorum_period_ms = self.config.fetch_timeout_ms / 2;
        let QuorumState::Leader(l) = &mut self.state else {
            return false;
        };
        // It removed itself and the change committed (Kafka's `requestResign`), or no majority
        // fetched within the check-quorum window (it may be partitioned).
        if l.resign_requested || l.check_quorum_deadline_ms.is_some_and(|d| now >= d) {
            self.transition_to_resigned();
            return true;
        }
        if now >= l.begin_quorum_deadline_ms {
            l.begin_quorum_pending = l.voters.keys().copied().collect();
            l.begin_quorum_deadline_ms = now.saturating_add(begin_quorum_period_ms);
            return true;
        }
        false
    }

    fn poll_request_timeouts(&mut self) {
        for to in self.connections.timed_out(self.now_ms) {
            self.api_versions_request_failed(to, crate::io::RequestError::Timeout);
            self.on_request_failure(to);
        }
    }

    /// Hands the leader's completed batches to the log.
    pub(super) fn drain_accumulator(&mut self) {
        let now = self.now_ms;
        let QuorumState::Leader(leader) = &mut self.state else {
            return;
        };
        let epoch = leader.epoch;
        leader.accumulator.complete_lingered(now);
        if !leader.accumulator.has_completed() {
            return;
        }
        // Bounded by the accumulator's queue limit (max_queued_batches).
        while let QuorumState::Leader(leader) = &mut self.state {
            let Some(batch) = leader.accumulator.pop_completed() else {
                break;
            };
            self.append_to_log(batch.base_offset, batch.last_offset, epoch, batch.bytes);
        }
        self.emit(crate::io::Output::Flush {
            up_to_offset: self.log.end_offset,
            generation: self.log.generation,
        });
        self.wake_parked_fetches();
    }

    pub(super) fn compute_next_deadline(&self) -> u64 {
        let mut next = u64::MAX;
        let mut consider = |d: Option<u64>| {
            if let Some(d) = d {
                next = next.min(d);
            }
        };
        match &self.state {
            QuorumState::Unattached(s) => consider(s.election_deadline_ms),
            QuorumState::Prospective(s) => consider(Some(s.election_deadline_ms)),
            QuorumState::Candidate(c) => consider(Some(
                c.backoff_deadline_ms.unwrap_or(c.election_deadline_ms),
            )),
            QuorumState::Follower(f) => consider(Some(f.fetch_deadline_ms)),
            QuorumState::Leader(l) => {
                consider(l.check_quorum_deadline_ms);
                consider(Some(l.begin_quorum_deadline_ms));
                consider(l.accumulator.linger_deadline_ms());
                consider(l.parked.iter().map(|p| p.deadline_ms).min());
            }
            QuorumState::Resigned(r) => consider(Some(r.election_deadline_ms)),
        }
        consider(self.connections.next_deadline_ms(self.now_ms));
        consider(self.voter_change_deadline_ms());
        consider(self.voter_request_deadline_ms());
        if let Some(s) = self.shutdown {
            if !s.completed {
                consider(Some(s.deadline_ms));
            }
        }
        next
    }
}
