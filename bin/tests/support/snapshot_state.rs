//! The workload state as the tests read it from a partition directory's files alone: snapshot
//! files decoded by the independent spec reader, extended over the log batch by batch with this
//! module's own CRC-32C.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn dir_listing(dir: &Path) -> Vec<(String, u64)> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let len = e.metadata().ok()?.len();
                    Some((e.file_name().to_string_lossy().into_owned(), len))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `<end offset>-<epoch>.checkpoint` files, ascending.
pub fn snapshot_files(dir: &Path) -> Vec<(i64, PathBuf)> {
    let mut out: Vec<(i64, PathBuf)> = dir_listing(dir)
        .into_iter()
        .filter_map(|(name, _)| {
            let stem = name.strip_suffix(".checkpoint")?;
            let (offset, _) = stem.split_once('-')?;
            Some((offset.parse().ok()?, dir.join(&name)))
        })
        .collect();
    out.sort();
    out
}

pub fn part_files(dir: &Path) -> Vec<String> {
    dir_listing(dir)
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.ends_with(".checkpoint.part"))
        .collect()
}

/// CRC-32C continued over more bytes (the chaining the workload's checksum is defined by),
/// bit by bit: deliberately not the server's table code nor the crc32c crate.
pub fn crc32c_append(crc: u32, bytes: &[u8]) -> u32 {
    let mut crc = !crc;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The workload state as this test reads it from files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    pub records: u64,
    pub checksum: u32,
}

/// The state in a snapshot file: its one data batch's one record's 42-byte value (version,
/// records, bytes, end offset, epoch, checksum, timestamp), decoded here from the format.
pub fn snapshot_state(path: &Path) -> (i64, State) {
    let bytes = std::fs::read(path).unwrap();
    let batches = kraft_interop::spec_reader::read_segment(&bytes, 0);
    assert_eq!(
        batches.len(),
        3,
        "{}: header, state, footer",
        path.display()
    );
    let data = &batches[1];
    let attributes = i16::from_be_bytes([bytes[data.position + 21], bytes[data.position + 22]]);
    assert_eq!(attributes & 0x20, 0, "the state batch is a data batch");
    let batch = &bytes[data.position..data.position + data.size];
    // The record ends with its value (42 bytes) and a zero header count.
    assert_eq!(batch[batch.len() - 1], 0, "no record headers");
    let value = &batch[batch.len() - 43..batch.len() - 1];
    let field = |at: usize, len: usize| &value[at..at + len];
    let records = u64::from_be_bytes(field(2, 8).try_into().unwrap());
    let end_offset = i64::from_be_bytes(field(18, 8).try_into().unwrap());
    let checksum = u32::from_be_bytes(field(30, 4).try_into().unwrap());
    (end_offset, State { records, checksum })
}

/// The node's state after each of its batches: its oldest snapshot (the widest range) extended
/// over its log.
pub fn states_by_offset(dir: &Path) -> BTreeMap<i64, State> {
    let (_, oldest) = snapshot_files(dir)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no snapshot in {}", dir.display()));
    let (mut end, mut state) = snapshot_state(&oldest);
    let mut out = BTreeMap::from([(end, state)]);
    for batch in super::read_log(dir) {
        if batch.last_offset < end {
            continue;
        }
        assert_eq!(
            batch.base_offset,
            end,
            "{}: the log continues the snapshot",
            dir.display()
        );
        let control = i16::from_be_bytes([batch.bytes[21], batch.bytes[22]]) & 0x20 != 0;
        if !control {
            let count = i32::from_be_bytes(batch.bytes[57..61].try_into().unwrap());
            state.records += count as u64;
            state.checksum = crc32c_append(state.checksum, &batch.bytes[61..]);
        }
        end = batch.last_offset + 1;
        out.insert(end, state);
    }
    out
}

/// The highest offset both nodes' states cover, and both states there.
pub fn compare_states(leader: &Path, follower: &Path) -> (i64, State, State) {
    let ours = states_by_offset(leader);
    let theirs = states_by_offset(follower);
    let common = ours
        .keys()
        .rev()
        .find(|offset| theirs.contains_key(offset))
        .copied()
        .unwrap_or_else(|| {
            panic!(
                "no common offset: leader covers {:?}..{:?}, follower {:?}..{:?}",
                ours.keys().next(),
                ours.keys().last(),
                theirs.keys().next(),
                theirs.keys().last()
            )
        });
    (common, ours[&common], theirs[&common])
}
