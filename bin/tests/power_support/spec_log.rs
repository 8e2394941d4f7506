//! A reader of segment files and the quorum-state file written from the spec (KRAFT.md 4.1 and
//! 2.8), independent of the server's code: v2 batch header, CRC-32C over bytes [21, end), and the
//! two fields of the one-line JSON the test needs. Lenient at the end of a log: the first batch
//! that is short or fails its CRC ends the log (a torn tail is what a power cut may leave; the
//! server's recovery trims it).

use std::path::{Path, PathBuf};

pub const PARTITION: &str = "__raft_performance_test-0";
pub const QUORUM_STATE: &str = "quorum-state";
/// Size of a v2 batch header (up to and including the record count).
const HEADER_BYTES: usize = 61;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub base_offset: i64,
    pub last_offset: i64,
    pub epoch: i32,
    pub bytes: Vec<u8>,
}

fn i64_at(b: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn i32_at(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// The batch at the start of `bytes`, or `None` when it is torn, zero or corrupt.
fn batch_at(bytes: &[u8]) -> Option<Batch> {
    if bytes.len() < HEADER_BYTES {
        return None;
    }
    let length = i32_at(bytes, 8);
    let size = usize::try_from(length).ok()? + 12;
    if size < HEADER_BYTES || size > bytes.len() || bytes[16] != 2 {
        return None;
    }
    let batch = &bytes[..size];
    let stored_crc = u32::from_be_bytes(batch[17..21].try_into().expect("4 bytes"));
    if crc32c::crc32c(&batch[21..]) != stored_crc {
        return None;
    }
    let base_offset = i64_at(batch, 0);
    Some(Batch {
        base_offset,
        last_offset: base_offset + i64::from(i32_at(batch, 23)),
        epoch: i32_at(batch, 12),
        bytes: batch.to_vec(),
    })
}

fn segment_files(partition_dir: &Path) -> Vec<PathBuf> {
    let mut segments: Vec<PathBuf> = std::fs::read_dir(partition_dir)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "log"))
                .collect()
        })
        .unwrap_or_default();
    // Names are 20-digit zero-padded base offsets: the text order is the offset order.
    segments.sort();
    segments
}

/// Every batch of the log under `log_dir` up to the first torn or corrupt one, in offset order.
pub fn read_log(log_dir: &Path) -> Vec<Batch> {
    let mut out: Vec<Batch> = Vec::new();
    for segment in segment_files(&log_dir.join(PARTITION)) {
        let data = std::fs::read(&segment).expect("read segment");
        let mut position = 0;
        while position < data.len() {
            let Some(batch) = batch_at(&data[position..]) else {
                return out;
            };
            if out
                .last()
                .is_some_and(|b| b.last_offset + 1 != batch.base_offset)
            {
                // A gap: offsets must continue from batch to batch and segment to segment.
                return out;
            }
            position += batch.bytes.len();
            out.push(batch);
        }
    }
    out
}

/// `(leaderEpoch, votedId)` of the node's `quorum-state` file, `None` if there is none yet.
pub fn read_quorum_state(log_dir: &Path) -> Option<(i32, i32)> {
    let text = std::fs::read_to_string(log_dir.join(PARTITION).join(QUORUM_STATE)).ok()?;
    let field = |name: &str| -> Option<i32> {
        let key = format!("\"{name}\":");
        let start = text.find(&key)? + key.len();
        let digits: String = text[start..]
            .chars()
            .take_while(|c| *c == '-' || c.is_ascii_digit())
            .collect();
        digits.parse().ok()
    };
    Some((field("leaderEpoch")?, field("votedId")?))
}
