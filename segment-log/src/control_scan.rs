//! The KRaft control records (KIP-853) a node needs at start: every KRaftVersion (type 5) and
//! Voters (type 6) record of the control batches of the log, a snapshot or the bootstrap
//! checkpoint. Only control batches are opened (the batch attribute says which), and only those
//! two record types are decoded: a LeaderChange or SnapshotHeader record is skipped unread.

use kraft_records::{parse_control_record, Batch, ControlRecord, ControlRecordType};

/// A KRaftVersion or Voters control record and the offset it sits at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KRaftControlRecord {
    pub offset: i64,
    /// `ControlRecord::KRaftVersion` or `ControlRecord::KRaftVoters`.
    pub record: ControlRecord,
}

/// Appends the KRaftVersion and Voters records of `batch` (nothing for a data batch). `Err`
/// names the offset of a record that does not decode (a CRC-valid batch holding a record this
/// node cannot read: the caller refuses to go on, as Kafka does).
pub fn collect_kraft_control(
    batch: &Batch<'_>,
    out: &mut Vec<KRaftControlRecord>,
) -> Result<(), (i64, String)> {
    if !batch.header.is_control() {
        return Ok(());
    }
    for record in batch.records() {
        let record = record.map_err(|e| (batch.header.base_offset, e.to_string()))?;
        let offset = batch.header.base_offset + i64::from(record.offset_delta);
        if !is_kraft_control_key(record.key) {
            continue;
        }
        let parsed = parse_control_record(&record).map_err(|e| (offset, e.to_string()))?;
        match parsed {
            ControlRecord::KRaftVersion { .. } | ControlRecord::KRaftVoters(_) => {
                out.push(KRaftControlRecord {
                    offset,
                    record: parsed,
                })
            }
            other => {
                return Err((
                    offset,
                    format!("control record {other:?} where KRaftVersion or Voters was expected"),
                ))
            }
        }
    }
    Ok(())
}

/// Whether a control record key (version int16, type int16) names KRaftVersion or Voters.
fn is_kraft_control_key(key: Option<&[u8]>) -> bool {
    let Some([_, _, hi, lo, ..]) = key else {
        return false;
    };
    let control_type = i16::from_be_bytes([*hi, *lo]);
    control_type == ControlRecordType::KRaftVersion as i16
        || control_type == ControlRecordType::KRaftVoters as i16
}

#[cfg(test)]
mod tests {
    use super::*;
    use kraft_records::{build_leader_change_batch, BatchBuilder, BatchIter, LeaderChangeMessage};

    fn batches(buf: &[u8]) -> Vec<Batch<'_>> {
        BatchIter::new(buf).map(Result::unwrap).collect()
    }

    #[test]
    fn only_kraft_control_records_of_control_batches_are_collected() {
        let mut buf = Vec::new();
        let mut data = BatchBuilder::new(&mut buf, 0, 1, 0);
        data.append_value(b"not a control record");
        data.finish();
        let leader_change = LeaderChangeMessage {
            version: 0,
            leader_id: 1,
            voters: vec![1],
            granting_voters: vec![1],
        };
        build_leader_change_batch(&mut buf, 1, 1, 0, &leader_change);
        let mut kraft = BatchBuilder::control(&mut buf, 2, 1, 0);
        kraft.append_control(ControlRecordType::KRaftVersion, &[0, 0, 0, 1, 0]);
        kraft.finish();
        let mut out = Vec::new();
        for batch in batches(&buf) {
            collect_kraft_control(&batch, &mut out).unwrap();
        }
        assert_eq!(
            out,
            [KRaftControlRecord {
                offset: 2,
                record: ControlRecord::KRaftVersion {
                    version: 0,
                    kraft_version: 1
                }
            }]
        );
    }

    #[test]
    fn an_undecodable_kraft_record_names_its_offset() {
        let mut buf = Vec::new();
        let mut kraft = BatchBuilder::control(&mut buf, 7, 1, 0);
        kraft.append_control(ControlRecordType::KRaftVersion, &[0, 0, 0, 1, 0]);
        kraft.append_control(ControlRecordType::KRaftVersion, &[0]);
        kraft.finish();
        let mut out = Vec::new();
        let (offset, _) = collect_kraft_control(&batches(&buf)[0], &mut out).unwrap_err();
        assert_eq!(offset, 8);
    }
}
