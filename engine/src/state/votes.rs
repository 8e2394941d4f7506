//! Vote counting shared by Prospective (pre-votes) and Candidate.

use std::collections::BTreeSet;

#[derive(Clone, Debug)]
pub(crate) struct VoteTally {
    voters: Vec<i32>,
    granted: BTreeSet<i32>,
    rejected: BTreeSet<i32>,
}

impl VoteTally {
    /// A tally in which `local_id` has granted itself (counted only when it is a voter: a
    /// replica running while its latest voter set left it out does not count its own vote).
    pub(crate) fn new(voters: Vec<i32>, local_id: i32) -> VoteTally {
        let mut granted = BTreeSet::new();
        if voters.contains(&local_id) {
            granted.insert(local_id);
        }
        VoteTally {
            voters,
            granted,
            rejected: BTreeSet::new(),
        }
    }

    fn majority(&self) -> usize {
        self.voters.len() / 2 + 1
    }

    /// Records `voter`'s answer; answers from non-voters and second answers are ignored.
    pub(crate) fn record(&mut self, voter: i32, granted: bool) {
        if !self.voters.contains(&voter)
            || self.granted.contains(&voter)
            || self.rejected.contains(&voter)
        {
            return;
        }
        if granted {
            self.granted.insert(voter);
        } else {
            self.rejected.insert(voter);
        }
    }

    pub(crate) fn is_won(&self) -> bool {
        self.granted.len() + usize::from(planted!(WinWithoutMajority)) >= self.majority()
    }

    /// Even if every unrecorded voter granted, there would be no majority.
    pub(crate) fn is_lost(&self) -> bool {
        self.voters.len() - self.rejected.len() < self.majority()
    }

    pub(crate) fn unrecorded(&self) -> impl Iterator<Item = i32> + '_ {
        self.voters
            .iter()
            .copied()
            .filter(|v| !self.granted.contains(v) && !self.rejected.contains(v))
    }

    pub(crate) fn granted(&self) -> impl Iterator<Item = i32> + '_ {
        self.granted.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_voters_need_two_grants_and_lose_on_two_rejections() {
        let mut t = VoteTally::new(vec![1, 2, 3], 1);
        assert!(!t.is_won());
        assert!(!t.is_lost());
        t.record(2, false);
        assert!(!t.is_lost());
        t.record(2, true); // a second answer does not count
        assert!(!t.is_won());
        t.record(3, false);
        assert!(t.is_lost());
        let mut t = VoteTally::new(vec![1, 2, 3], 1);
        t.record(9, true); // not a voter
        assert!(!t.is_won());
        t.record(3, true);
        assert!(t.is_won());
        assert_eq!(t.unrecorded().collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn single_voter_wins_at_once() {
        assert!(VoteTally::new(vec![1], 1).is_won());
    }
}
