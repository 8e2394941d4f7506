//! Finding the KRaftVersion and Voters records in a run of batches (a snapshot file, the
//! bootstrap checkpoint, a log segment, fetched records). Only control batches are parsed (the
//! attributes flag says which): data batches are skipped by their header alone, so a scan costs
//! one header read per data batch.

use crate::{parse_control_record, Batch, BatchError, ControlRecord};

/// Appends to `out` every KRaftVersion and Voters record of `batch`, with its offset.
pub fn collect_kraft_control(
    batch: &Batch<'_>,
    out: &mut Vec<(i64, ControlRecord)>,
) -> Result<(), BatchError> {
    if !batch.header.is_control() {
        return Ok(());
    }
    for record in batch.records() {
        let record = record?;
        let offset = batch.header.base_offset + i64::from(record.offset_delta);
        let parsed = parse_control_record(&record)?;
        if matches!(
            parsed,
            ControlRecord::KRaftVersion { .. } | ControlRecord::KRaftVoters(_)
        ) {
            out.push((offset, parsed));
        }
    }
    Ok(())
}

/// Every KRaftVersion and Voters record of `bytes` (whole batches, CRCs checked), in offset
/// order, with its offset.
pub fn scan_kraft_control(bytes: &[u8]) -> Result<Vec<(i64, ControlRecord)>, BatchError> {
    let mut out = Vec::new();
    let mut batches = crate::BatchIter::new(bytes);
    for batch in batches.by_ref() {
        collect_kraft_control(&batch?, &mut out)?;
    }
    if batches.position() != bytes.len() {
        return Err(BatchError::Truncated {
            needed: bytes.len(),
            available: batches.position(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        build_kraft_control_batch, build_leader_change_batch, BatchBuilder, LeaderChangeMessage,
        VotersRecord,
    };

    #[test]
    fn finds_version_and_voters_records_with_their_offsets() {
        let voters = VotersRecord {
            version: 0,
            voters: vec![],
        };
        let mut bytes = Vec::new();
        let mut data = BatchBuilder::new(&mut bytes, 0, 1, 0);
        data.append_value(b"x");
        data.append_value(b"y");
        data.finish();
        let leader_change = LeaderChangeMessage {
            version: 0,
            leader_id: 1,
            voters: vec![1],
            granting_voters: vec![1],
        };
        build_leader_change_batch(&mut bytes, 2, 1, 0, &leader_change);
        bytes.extend(build_kraft_control_batch(3, 1, 0, Some(1), Some(&voters)));
        bytes.extend(build_kraft_control_batch(5, 2, 0, None, Some(&voters)));
        let found = scan_kraft_control(&bytes).unwrap();
        assert_eq!(
            found,
            [
                (
                    3,
                    ControlRecord::KRaftVersion {
                        version: 0,
                        kraft_version: 1
                    }
                ),
                (4, ControlRecord::KRaftVoters(voters.clone())),
                (5, ControlRecord::KRaftVoters(voters)),
            ]
        );
        let cut = &bytes[..bytes.len() - 1];
        assert!(scan_kraft_control(cut).is_err(), "a torn tail is an error");
    }
}
