//! Kafka's `VoterSetHistory` and the kraft.version half of `KRaftControlRecordStateMachine`: the
//! voter sets and kraft.versions the log (with its snapshot and bootstrap checkpoint) holds, by
//! offset. A change is in force from the offset it was appended at (KIP-853), rolled back when
//! the log is truncated below it, and forgotten once the log start passes a newer one.

use super::{ControlEntry, ControlKind, VoterSet};
use crate::error::VoterSetError;

/// Voter-set entries kept at most: one change at a time is committed before the next starts,
/// and retention trims entries below the log start, so a longer history means a runaway peer.
pub(crate) const MAX_HISTORY_ENTRIES: usize = 4096;

#[derive(Clone, Debug)]
pub(crate) struct VoterHistory {
    /// `controller.quorum.voters` (empty in a dynamic quorum): in force when no entry is.
    static_voters: VoterSet,
    /// (offset, voter set), ascending offsets.
    voters: Vec<(i64, VoterSet)>,
    /// (offset, kraft.version), ascending offsets; kraft.version 0 before the first.
    kraft_versions: Vec<(i64, i16)>,
}

impl VoterHistory {
    pub(crate) fn new(static_voters: VoterSet) -> VoterHistory {
        VoterHistory {
            static_voters,
            voters: Vec::new(),
            kraft_versions: Vec::new(),
        }
    }

    /// Adds one entry; offsets must grow within each kind (a repeat of the last offset replaces
    /// it: a bootstrap checkpoint and a snapshot at the same offset say the same).
    pub(crate) fn add(&mut self, entry: &ControlEntry) -> Result<(), VoterSetError> {
        match &entry.kind {
            ControlKind::KRaftVersion(version) => {
                if !(0..=1).contains(version) {
                    return Err(VoterSetError::new(format!(
                        "kraft.version {version} at offset {} is not supported (0..1)",
                        entry.offset
                    )));
                }
                push_at(&mut self.kraft_versions, entry.offset, *version)
            }
            ControlKind::Voters(record) => {
                let set = VoterSet::from_record(record)?;
                push_at(&mut self.voters, entry.offset, set)
            }
        }
    }

    /// The latest voter set (possibly uncommitted); the static one when the log holds none.
    pub(crate) fn latest(&self) -> &VoterSet {
        self.voters.last().map_or(&self.static_voters, |(_, v)| v)
    }

    /// Offset of the latest voter-set entry, if any.
    pub(crate) fn latest_offset(&self) -> Option<i64> {
        self.voters.last().map(|(o, _)| *o)
    }

    /// The voter set in force at `offset` from the log; `None` before the first entry.
    pub(crate) fn voters_at(&self, offset: i64) -> Option<&VoterSet> {
        self.voters
            .iter()
            .rev()
            .find(|(o, _)| *o <= offset)
            .map(|(_, v)| v)
    }

    /// The voter set before the latest entry (the static one when the log holds one entry or
    /// none). With one change at a time it was committed when the latest was appended.
    pub(crate) fn previous(&self) -> Option<&VoterSet> {
        match self.voters.len() {
            0 => None,
            1 => Some(&self.static_voters),
            n => Some(&self.voters[n - 2].1),
        }
    }

    /// Whether any voter set of the history (static included) holds `key`.
    pub(crate) fn ever_contained(&self, key: crate::message::ReplicaKey) -> bool {
        self.static_voters.contains(key) || self.voters.iter().any(|(_, v)| v.contains(key))
    }

    pub(crate) fn kraft_version(&self) -> i16 {
        self.kraft_versions.last().map_or(0, |(_, v)| *v)
    }

    pub(crate) fn kraft_version_at(&self, offset: i64) -> i16 {
        self.kraft_versions
            .iter()
            .rev()
            .find(|(o, _)| *o <= offset)
            .map_or(0, |(_, v)| *v)
    }

    /// The log was truncated to end at `end_offset`: entries at or above it are gone.
    pub(crate) fn truncate_from(&mut self, end_offset: i64) {
        if planted!(VoterSetNotRolledBack) {
            return;
        }
        self.voters.retain(|(o, _)| *o < end_offset);
        self.kraft_versions.retain(|(o, _)| *o < end_offset);
    }

    /// The log starts at `start_offset` now: of the entries at or below it only the latest is
    /// still needed (Kafka's `truncateOldEntries`).
    pub(crate) fn trim_below(&mut self, start_offset: i64) {
        trim(&mut self.voters, start_offset);
        trim(&mut self.kraft_versions, start_offset);
    }

    /// The log was replaced by a snapshot holding `entries`.
    pub(crate) fn replace(&mut self, entries: &[ControlEntry]) -> Result<(), VoterSetError> {
        self.voters.clear();
        self.kraft_versions.clear();
        entries.iter().try_for_each(|e| self.add(e))
    }
}

fn push_at<T>(history: &mut Vec<(i64, T)>, offset: i64, value: T) -> Result<(), VoterSetError> {
    match history.last() {
        Some((last, _)) if *last > offset => {
            return Err(VoterSetError::new(format!(
                "control entry at offset {offset} after one at {last}"
            )))
        }
        Some((last, _)) if *last == offset => {
            history.pop();
        }
        _ => {}
    }
    if history.len() >= MAX_HISTORY_ENTRIES {
        return Err(VoterSetError::new(format!(
            "more than {MAX_HISTORY_ENTRIES} voter-set entries above the log start"
        )));
    }
    history.push((offset, value));
    Ok(())
}

fn trim<T>(history: &mut Vec<(i64, T)>, start_offset: i64) {
    let at_or_below = history
        .iter()
        .take_while(|(o, _)| *o <= start_offset)
        .count();
    if at_or_below > 1 {
        history.drain(..at_or_below - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{LeaderEndpoint, ReplicaKey, Uuid};
    use crate::voters::VoterNode;

    fn set(ids: &[i32]) -> VoterSet {
        ids.iter().fold(VoterSet::default(), |s, &id| {
            s.add_voter(VoterNode {
                key: ReplicaKey {
                    id,
                    directory_id: Uuid::from_parts(1, id as u64),
                },
                listeners: vec![LeaderEndpoint {
                    name: "CONTROLLER".into(),
                    host: "h".into(),
                    port: 1,
                }],
                kraft_version_min: 0,
                kraft_version_max: 1,
            })
            .unwrap()
        })
    }

    fn voters(offset: i64, ids: &[i32]) -> ControlEntry {
        ControlEntry {
            offset,
            kind: ControlKind::Voters(set(ids).to_record()),
        }
    }

    #[test]
    fn effective_at_offset_truncated_and_trimmed() {
        let mut h = VoterHistory::new(VoterSet::default());
        assert!(h.latest().is_empty());
        let version = ControlEntry {
            offset: -1,
            kind: ControlKind::KRaftVersion(1),
        };
        h.add(&version).unwrap();
        h.add(&voters(-1, &[1])).unwrap();
        h.add(&voters(10, &[1, 2])).unwrap();
        h.add(&voters(20, &[1, 2, 3])).unwrap();
        assert_eq!(h.kraft_version(), 1);
        assert_eq!(h.latest(), &set(&[1, 2, 3]));
        assert_eq!(h.voters_at(15), Some(&set(&[1, 2])));
        assert_eq!(h.voters_at(-2), None);
        assert!(h.add(&voters(5, &[1])).is_err(), "offsets only grow");
        h.truncate_from(20);
        assert_eq!(
            h.latest(),
            &set(&[1, 2]),
            "the truncated change is rolled back"
        );
        h.add(&voters(20, &[1, 2, 4])).unwrap();
        h.trim_below(15);
        assert_eq!(
            h.voters_at(15),
            Some(&set(&[1, 2])),
            "the entry in force stays"
        );
        assert_eq!(h.voters_at(5), None, "older ones go");
        assert_eq!(h.kraft_version_at(100), 1);
    }
}
