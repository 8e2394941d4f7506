//! Hostile file contents never panic: random mutations of every file format this crate reads.

mod common;

use common::{data_batch, partition_dir, scratch_dir, small_config, XorShift};
use kraft_segment_log::{
    json, LeaderEpochCheckpoint, LogError, QuorumStateFile, SegmentLog, SnapshotReader,
};

const V0: &str = r#"{"clusterId":"","leaderId":2,"leaderEpoch":7,"votedId":-1,"appliedOffset":0,"currentVoters":[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0}"#;
const V1: &str = r#"{"leaderId":-1,"leaderEpoch":5,"votedId":3,"votedDirectoryId":"PyqcHntNTgqcVR0uP0BRYg","data_version":1}"#;

fn mutate(rng: &mut XorShift, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() as u64 + 1) as usize;
        match rng.below(4) {
            0 if at < out.len() => out[at] ^= 1 << rng.below(8),
            1 => out.truncate(at),
            2 => out.insert(at.min(out.len()), rng.next_u64() as u8),
            _ => {
                let interesting = [
                    b'"', b'{', b'}', b'[', b']', b',', b':', b'\\', b'-', b'0', b'9', b'\n', b' ',
                ];
                out.insert(
                    at.min(out.len()),
                    interesting[rng.below(interesting.len() as u64) as usize],
                );
            }
        }
    }
    out
}

#[test]
fn quorum_state_and_json_survive_mutations() {
    let dir = scratch_dir();
    let file = QuorumStateFile::new(dir.path());
    let mut rng = XorShift(0x0dd);
    let mut errors = 0;
    for i in 0..3000 {
        let base = if i % 2 == 0 { V0 } else { V1 };
        let bytes = mutate(&mut rng, base.as_bytes());
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = json::parse(text);
        }
        std::fs::write(file.path(), &bytes).unwrap();
        match file.read() {
            Ok(_) => {}
            Err(LogError::Corrupt { file: f, .. }) => {
                assert_eq!(f, file.path());
                errors += 1;
            }
            Err(other) => panic!("unexpected error kind: {other}"),
        }
    }
    assert!(
        errors > 1000,
        "mutations should mostly be rejected ({errors})"
    );
}

#[test]
fn epoch_checkpoint_survives_mutations() {
    let dir = scratch_dir();
    let checkpoint = LeaderEpochCheckpoint::new(dir.path());
    let valid = b"0\n3\n1 0\n4 100\n9 250\n";
    let mut rng = XorShift(0xcafe);
    for _ in 0..3000 {
        std::fs::write(checkpoint.path(), mutate(&mut rng, valid)).unwrap();
        match checkpoint.read() {
            Ok(Some(entries)) => assert!(entries.windows(2).all(|w| w[0].epoch < w[1].epoch)),
            Ok(None) => panic!("file exists"),
            Err(LogError::Corrupt { .. }) => {}
            Err(other) => panic!("unexpected error kind: {other}"),
        }
    }
}

#[test]
fn random_segment_contents_never_panic_on_open() {
    let scratch = scratch_dir();
    let mut rng = XorShift(0xfeed);
    let valid: Vec<u8> = (0..6)
        .flat_map(|i| data_batch(i * 2, 1, 2, 30, i as u64))
        .collect();
    for round in 0..150 {
        let dir = partition_dir(&scratch.path().join(format!("r{round}")));
        std::fs::create_dir_all(&dir).unwrap();
        let mut bytes = mutate(&mut rng, &valid);
        if round % 3 == 0 {
            bytes = (0..rng.below(2000)).map(|_| rng.next_u64() as u8).collect();
        }
        std::fs::write(dir.join("00000000000000000000.log"), &bytes).unwrap();
        if round % 2 == 0 {
            let junk: Vec<u8> = (0..rng.below(64)).map(|_| rng.next_u64() as u8).collect();
            std::fs::write(dir.join("00000000000000000000.index"), junk).unwrap();
        }
        if round % 5 == 0 {
            std::fs::write(
                dir.join("partition.metadata"),
                mutate(&mut rng, b"version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAg\n"),
            )
            .unwrap();
        }
        match SegmentLog::open(&dir, small_config()) {
            Ok((log, _)) => {
                let reader = log.reader();
                let mut offset = 0;
                while let Some(slice) = reader.read(offset, 100).unwrap() {
                    offset = slice.next_offset();
                }
                assert_eq!(offset, log.log_end_offset());
            }
            Err(LogError::Corrupt { .. }) | Err(LogError::InconsistentTopicId { .. }) => {}
            Err(other) => panic!("unexpected error kind: {other}"),
        }
        // Snapshot reader on the same hostile bytes.
        let snap = dir.join("00000000000000000012-0000000001.checkpoint");
        std::fs::write(&snap, &bytes).unwrap();
        let reader = SnapshotReader::open(&snap).unwrap();
        let _ = reader.validate();
        for batch in reader.batches().flatten() {
            assert_eq!(
                batch.records().take(1000).count(),
                batch.header.records_count as usize
            );
        }
    }
}
