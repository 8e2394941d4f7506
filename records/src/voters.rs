//! The KIP-853 control records that carry a dynamic quorum's configuration: `KRaftVersionRecord`
//! (type 5: the kraft.version feature level in force) and `VotersRecord` (type 6: the whole voter
//! set, each voter a replica id, its directory id, its endpoints and the kraft.version range it
//! supports). Both are flexible messages at schema version 0, Kafka's
//! `KRaftVersionRecord.json` and `VotersRecord.json`.
//!
//! Kafka writes them into a control batch after a SnapshotHeader (a snapshot or the bootstrap
//! checkpoint), after a LeaderChange (a leader's first batch when the voter set came from the
//! bootstrap checkpoint) or alone (a voter-set change); [`append_kraft_control_records`] serves
//! all three, [`build_kraft_control_batch`] builds the last.

use crate::builder::BatchBuilder;
use crate::control::ControlRecordType;
use crate::reader::{write_compact_array_len, write_compact_string, Reader};
use crate::{BatchError, Uuid};

/// The only KRaftVersionRecord and VotersRecord schema version Kafka 4.x writes.
pub const KRAFT_CONTROL_VERSION: i16 = 0;

/// One endpoint of a voter: listener name, host and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VoterEndpoint {
    pub name: String,
    pub host: String,
    pub port: u16,
}

/// One entry of a VotersRecord.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoterRecord {
    pub voter_id: i32,
    pub voter_directory_id: Uuid,
    pub endpoints: Vec<VoterEndpoint>,
    /// KRaftVersionFeature.MinSupportedVersion
    pub kraft_version_min: i16,
    /// KRaftVersionFeature.MaxSupportedVersion
    pub kraft_version_max: i16,
}

/// Kafka's VotersRecord: the voter set, in the order it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VotersRecord {
    pub version: i16,
    pub voters: Vec<VoterRecord>,
}

/// Smallest encoded voter: id, directory id, empty endpoint array, feature struct (two int16 and
/// its tagged fields), tagged fields.
const MIN_VOTER_BYTES: usize = 4 + 16 + 1 + 5 + 1;
/// Smallest encoded endpoint: two empty strings, port, tagged fields.
const MIN_ENDPOINT_BYTES: usize = 1 + 1 + 2 + 1;

impl VotersRecord {
    /// Appends the flexible v0 encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.version.to_be_bytes());
        write_compact_array_len(out, self.voters.len());
        for voter in &self.voters {
            out.extend_from_slice(&voter.voter_id.to_be_bytes());
            out.extend_from_slice(&voter.voter_directory_id.0);
            write_compact_array_len(out, voter.endpoints.len());
            for endpoint in &voter.endpoints {
                write_compact_string(out, &endpoint.name);
                write_compact_string(out, &endpoint.host);
                out.extend_from_slice(&endpoint.port.to_be_bytes());
                out.push(0); // endpoint: no tagged fields
            }
            out.extend_from_slice(&voter.kraft_version_min.to_be_bytes());
            out.extend_from_slice(&voter.kraft_version_max.to_be_bytes());
            out.push(0); // KRaftVersionFeature: no tagged fields
            out.push(0); // voter: no tagged fields
        }
        out.push(0); // record: no tagged fields
    }

    /// Bytes [`VotersRecord::encode`] writes (string lengths are below 128 bytes in practice; the
    /// figure is a capacity hint, never a bound).
    pub fn encoded_len_hint(&self) -> usize {
        let endpoints: usize = self
            .voters
            .iter()
            .flat_map(|v| &v.endpoints)
            .map(|e| e.name.len() + e.host.len() + 5)
            .sum();
        2 + 5 + self.voters.len() * (MIN_VOTER_BYTES + 4) + endpoints + 1
    }

    /// Decodes a VotersRecord value; unknown tagged fields are skipped.
    pub fn decode(buf: &[u8]) -> Result<VotersRecord, BatchError> {
        let mut reader = Reader::new(buf);
        let version = reader.i16()?;
        let count = reader.compact_array_len(MIN_VOTER_BYTES)?;
        let mut voters = Vec::with_capacity(count);
        for _ in 0..count {
            voters.push(decode_voter(&mut reader)?);
        }
        reader.skip_tagged_fields()?;
        Ok(VotersRecord { version, voters })
    }
}

fn decode_voter(reader: &mut Reader<'_>) -> Result<VoterRecord, BatchError> {
    let voter_id = reader.i32()?;
    let voter_directory_id = reader.uuid()?;
    let count = reader.compact_array_len(MIN_ENDPOINT_BYTES)?;
    let mut endpoints = Vec::with_capacity(count);
    for _ in 0..count {
        let name = reader.compact_string()?;
        let host = reader.compact_string()?;
        let port = reader.u16()?;
        reader.skip_tagged_fields()?;
        endpoints.push(VoterEndpoint { name, host, port });
    }
    let kraft_version_min = reader.i16()?;
    let kraft_version_max = reader.i16()?;
    reader.skip_tagged_fields()?;
    reader.skip_tagged_fields()?;
    Ok(VoterRecord {
        voter_id,
        voter_directory_id,
        endpoints,
        kraft_version_min,
        kraft_version_max,
    })
}

/// The KRaftVersionRecord value: version, kraft.version, no tagged fields.
pub fn encode_kraft_version_value(kraft_version: i16) -> [u8; 5] {
    let mut value = [0u8; 5];
    value[0..2].copy_from_slice(&KRAFT_CONTROL_VERSION.to_be_bytes());
    value[2..4].copy_from_slice(&kraft_version.to_be_bytes());
    value
}

/// Appends a KRaftVersion record then a Voters record (either may be absent) to an open control
/// batch, in the order Kafka's writers append them.
pub fn append_kraft_control_records(
    builder: &mut BatchBuilder<'_>,
    kraft_version: Option<i16>,
    voters: Option<&VotersRecord>,
) {
    if let Some(level) = kraft_version {
        builder.append_control(
            ControlRecordType::KRaftVersion,
            &encode_kraft_version_value(level),
        );
    }
    if let Some(voters) = voters {
        let mut value = Vec::with_capacity(voters.encoded_len_hint());
        voters.encode(&mut value);
        builder.append_control(ControlRecordType::KRaftVoters, &value);
    }
}

/// One control batch holding a KRaftVersion record then a Voters record (either may be absent,
/// not both), as Kafka's `MemoryRecordsBuilder.appendKRaftVersionMessage` /
/// `appendVotersMessage` write them.
pub fn build_kraft_control_batch(
    base_offset: i64,
    partition_leader_epoch: i32,
    timestamp_ms: i64,
    kraft_version: Option<i16>,
    voters: Option<&VotersRecord>,
) -> Vec<u8> {
    assert!(
        kraft_version.is_some() || voters.is_some(),
        "a kraft control batch holds at least one record"
    );
    let hint = 128 + voters.map_or(0, VotersRecord::encoded_len_hint);
    let mut buf = Vec::with_capacity(hint);
    let mut builder =
        BatchBuilder::control(&mut buf, base_offset, partition_leader_epoch, timestamp_ms);
    append_kraft_control_records(&mut builder, kraft_version, voters);
    builder.finish();
    buf
}

#[cfg(test)]
#[path = "voters_tests.rs"]
mod tests;
