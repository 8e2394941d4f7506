//! The control entries a node restores its voter-set history from.

use kraft_records::{parse_control_record, Batch, BatchError, ControlRecord, VotersRecord};

/// A KRaftVersion or Voters record and the offset it sits at (-1: the bootstrap checkpoint 0-0;
/// a snapshot's: its end offset - 1; a log record's: its own offset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlEntry {
    pub offset: i64,
    pub kind: ControlKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlKind {
    /// `KRaftVersionRecord.KRaftVersion`.
    KRaftVersion(i16),
    Voters(VotersRecord),
}

/// The KRaftVersion and Voters records of one control batch, at their offsets (what a follower
/// learns from a fetched batch and what the runtime collects from its log at start). Other
/// control records are skipped; a record that does not decode is an error.
pub fn control_entries(batch: &Batch<'_>) -> Result<Vec<ControlEntry>, BatchError> {
    let mut entries = Vec::new();
    if !batch.header.is_control() {
        return Ok(entries);
    }
    for record in batch.records() {
        let record = record?;
        let offset = batch.header.base_offset + i64::from(record.offset_delta);
        let kind = match parse_control_record(&record)? {
            ControlRecord::KRaftVersion { kraft_version, .. } => {
                ControlKind::KRaftVersion(kraft_version)
            }
            ControlRecord::KRaftVoters(voters) => ControlKind::Voters(voters),
            _ => continue,
        };
        entries.push(ControlEntry { offset, kind });
    }
    Ok(entries)
}
