use super::*;
use crate::{parse_control_record, BatchIter, ControlRecord};

fn sample() -> VotersRecord {
    VotersRecord {
        version: 0,
        voters: vec![
            VoterRecord {
                voter_id: 1,
                voter_directory_id: Uuid::from_parts(0x0102_0304_0506_0708, 0x090a_0b0c_0d0e_0f10),
                endpoints: vec![VoterEndpoint {
                    name: "CONTROLLER".into(),
                    host: "localhost".into(),
                    port: 9093,
                }],
                kraft_version_min: 0,
                kraft_version_max: 1,
            },
            VoterRecord {
                voter_id: 2,
                voter_directory_id: Uuid::from_parts(7, 8),
                endpoints: vec![
                    VoterEndpoint {
                        name: "A".into(),
                        host: "h".into(),
                        port: 65535,
                    },
                    VoterEndpoint {
                        name: "B".into(),
                        host: "".into(),
                        port: 0,
                    },
                ],
                kraft_version_min: 0,
                kraft_version_max: 0,
            },
        ],
    }
}

#[test]
fn voters_record_bytes_are_the_flexible_v0_encoding() {
    let record = VotersRecord {
        version: 0,
        voters: vec![VoterRecord {
            voter_id: 3,
            voter_directory_id: Uuid([0xAB; 16]),
            endpoints: vec![VoterEndpoint {
                name: "C".into(),
                host: "h".into(),
                port: 0x2385,
            }],
            kraft_version_min: 0,
            kraft_version_max: 1,
        }],
    };
    let mut bytes = Vec::new();
    record.encode(&mut bytes);
    // Written out by hand from VotersRecord.json: version, voters (len+1), id, directory id,
    // endpoints (len+1), name (len+1), host (len+1), port, endpoint tags, feature min/max, feature
    // tags, voter tags, record tags.
    let mut expected = vec![0, 0, 2, 0, 0, 0, 3];
    expected.extend_from_slice(&[0xAB; 16]);
    expected.extend_from_slice(&[2, 2, b'C', 2, b'h', 0x23, 0x85, 0, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(bytes, expected);
    assert_eq!(VotersRecord::decode(&bytes).unwrap(), record);
}

#[test]
fn voters_record_round_trips() {
    let record = sample();
    let mut bytes = Vec::new();
    record.encode(&mut bytes);
    assert!(record.encoded_len_hint() >= bytes.len());
    assert_eq!(VotersRecord::decode(&bytes).unwrap(), record);
    let empty = VotersRecord {
        version: 0,
        voters: vec![],
    };
    let mut bytes = Vec::new();
    empty.encode(&mut bytes);
    assert_eq!(bytes, [0, 0, 1, 0]);
    assert_eq!(VotersRecord::decode(&bytes).unwrap(), empty);
}

#[test]
fn voters_record_skips_unknown_tagged_fields() {
    let record = sample();
    let mut bytes = Vec::new();
    record.encode(&mut bytes);
    bytes.pop();
    bytes.extend_from_slice(&[1, 5, 3, 1, 2, 3]); // one unknown tag 5 with 3 bytes
    assert_eq!(VotersRecord::decode(&bytes).unwrap(), record);
}

#[test]
fn voters_record_rejects_garbage_without_panicking() {
    let mut bytes = Vec::new();
    sample().encode(&mut bytes);
    for len in 0..bytes.len() {
        assert!(VotersRecord::decode(&bytes[..len]).is_err(), "prefix {len}");
    }
    for seed in 0..200u32 {
        let noise: Vec<u8> = (0..64u32)
            .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed * 97) >> 7) as u8)
            .collect();
        let _ = VotersRecord::decode(&noise);
    }
    // A huge array length must be refused before allocating.
    assert!(VotersRecord::decode(&[0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0]).is_err());
    // A null endpoint name is not a valid voter.
    let mut null_name = vec![0, 0, 2, 0, 0, 0, 1];
    null_name.extend_from_slice(&[0; 16]);
    null_name.extend_from_slice(&[2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        VotersRecord::decode(&null_name),
        Err(BatchError::BadControlRecord("null string"))
    );
}

#[test]
fn kraft_control_batch_holds_version_then_voters() {
    let voters = sample();
    let bytes = build_kraft_control_batch(40, 6, 1_700_000_000_123, Some(1), Some(&voters));
    let batches: Vec<_> = BatchIter::new(&bytes).map(Result::unwrap).collect();
    assert_eq!(batches.len(), 1);
    let header = batches[0].header;
    assert!(header.is_control());
    assert_eq!(
        (
            header.base_offset,
            header.last_offset(),
            header.partition_leader_epoch
        ),
        (40, 41, 6)
    );
    assert_eq!(header.base_timestamp, 1_700_000_000_123);
    let records: Vec<ControlRecord> = batches[0]
        .records()
        .map(|r| parse_control_record(&r.unwrap()).unwrap())
        .collect();
    assert_eq!(
        records,
        [
            ControlRecord::KRaftVersion {
                version: 0,
                kraft_version: 1
            },
            ControlRecord::KRaftVoters(voters.clone())
        ]
    );
    let alone = build_kraft_control_batch(7, 2, 0, None, Some(&voters));
    let batch = BatchIter::new(&alone).next().unwrap().unwrap();
    assert_eq!(batch.header.records_count, 1);
    let record = batch.records().next().unwrap().unwrap();
    assert_eq!(record.key, Some(&[0u8, 0, 0, 6][..]));
    assert_eq!(
        parse_control_record(&record).unwrap(),
        ControlRecord::KRaftVoters(voters)
    );
    let version_only = build_kraft_control_batch(0, 0, 0, Some(1), None);
    let batch = BatchIter::new(&version_only).next().unwrap().unwrap();
    let record = batch.records().next().unwrap().unwrap();
    assert_eq!(record.key, Some(&[0u8, 0, 0, 5][..]));
    assert_eq!(record.value, Some(&[0u8, 0, 0, 1, 0][..]));
}

#[test]
#[should_panic(expected = "at least one record")]
fn kraft_control_batch_needs_a_record() {
    build_kraft_control_batch(0, 0, 0, None, None);
}
