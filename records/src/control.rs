//! Control records: key = (int16 version 0, int16 type); value = a flexible-encoded message at v0.

use crate::reader::Reader;
use crate::varint::write_unsigned;
use crate::voters::VotersRecord;
use crate::{BatchError, Record};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i16)]
pub enum ControlRecordType {
    LeaderChange = 2,
    SnapshotHeader = 3,
    SnapshotFooter = 4,
    KRaftVersion = 5,
    KRaftVoters = 6,
}

/// `LeaderChangeMessage` at schema version 0 (what KRaft writes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderChangeMessage {
    pub version: i16,
    pub leader_id: i32,
    pub voters: Vec<i32>,
    pub granting_voters: Vec<i32>,
}

/// A decoded control record. Types this node does not act on are kept by number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlRecord {
    LeaderChange(LeaderChangeMessage),
    SnapshotHeader {
        version: i16,
        last_contained_log_timestamp: i64,
    },
    SnapshotFooter {
        version: i16,
    },
    KRaftVersion {
        version: i16,
        kraft_version: i16,
    },
    /// The voter set (KIP-853), type 6.
    KRaftVoters(VotersRecord),
    Other {
        control_type: i16,
    },
}

fn write_voter_ids(out: &mut Vec<u8>, ids: &[i32]) {
    write_unsigned(out, ids.len() as u64 + 1);
    for id in ids {
        out.extend_from_slice(&id.to_be_bytes());
        out.push(0); // no tagged fields
    }
}

impl LeaderChangeMessage {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.leader_id.to_be_bytes());
        write_voter_ids(out, &self.voters);
        write_voter_ids(out, &self.granting_voters);
        out.push(0);
    }

    pub fn decode(buf: &[u8]) -> Result<Self, BatchError> {
        let mut reader = Reader::new(buf);
        let version = reader.i16()?;
        let leader_id = reader.i32()?;
        let voters = reader.voter_ids()?;
        let granting_voters = reader.voter_ids()?;
        reader.skip_tagged_fields()?;
        Ok(LeaderChangeMessage {
            version,
            leader_id,
            voters,
            granting_voters,
        })
    }
}

/// Decodes a control record from a control batch.
pub fn parse_control_record(record: &Record<'_>) -> Result<ControlRecord, BatchError> {
    let key = record
        .key
        .ok_or(BatchError::BadControlRecord("missing key"))?;
    if key.len() < 4 {
        return Err(BatchError::BadControlRecord("key shorter than 4 bytes"));
    }
    let control_type = i16::from_be_bytes([key[2], key[3]]);
    let value = record.value.unwrap_or(&[]);
    let mut reader = Reader::new(value);
    let parsed = match control_type {
        2 => ControlRecord::LeaderChange(LeaderChangeMessage::decode(value)?),
        3 => ControlRecord::SnapshotHeader {
            version: reader.i16()?,
            last_contained_log_timestamp: reader.i64()?,
        },
        4 => ControlRecord::SnapshotFooter {
            version: reader.i16()?,
        },
        5 => ControlRecord::KRaftVersion {
            version: reader.i16()?,
            kraft_version: reader.i16()?,
        },
        6 => ControlRecord::KRaftVoters(VotersRecord::decode(value)?),
        other => ControlRecord::Other {
            control_type: other,
        },
    };
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leader_change_rejects_garbage_without_panicking() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let _ = LeaderChangeMessage::decode(&bytes);
        }
        // Huge array length must not allocate.
        let bytes = [0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(LeaderChangeMessage::decode(&bytes).is_err());
    }

    #[test]
    fn skips_unknown_tagged_fields() {
        let msg = LeaderChangeMessage {
            version: 0,
            leader_id: 3,
            voters: vec![3],
            granting_voters: vec![],
        };
        let mut bytes = Vec::new();
        msg.encode(&mut bytes);
        bytes.pop();
        bytes.extend_from_slice(&[1, 9, 2, 0xAB, 0xCD]); // one unknown tag 9 with 2 bytes
        assert_eq!(LeaderChangeMessage::decode(&bytes).unwrap(), msg);
    }
}
