//! The committed throughput of a finished run, read from the members' segment files the same way
//! for both kinds of quorum: the data records of the leader's epoch that a majority of the logs
//! hold, over the span of their batches' CreateTime (the leader's clock at append). This needs
//! nothing from either implementation's own report, whose windows differ.

use kraft_records::{BatchHeader, BATCH_HEADER_LEN};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// What one log holds of an epoch: batches as `(last offset, data records, base ms, max ms)`,
/// data batches only, and the epoch's last offset including control batches.
struct EpochLog {
    data: Vec<(i64, u64, i64, i64)>,
    end: Option<i64>,
}

/// Walks the batch headers of every segment (a skip over each batch's records, no CRC: the
/// files may be gigabytes at the maximum rate) and keeps those of `epoch`.
fn epoch_log(partition_dir: &Path, epoch: i32) -> EpochLog {
    let mut segments: Vec<PathBuf> = std::fs::read_dir(partition_dir)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "log"))
                .collect()
        })
        .unwrap_or_default();
    segments.sort();
    let mut log = EpochLog {
        data: Vec::new(),
        end: None,
    };
    for segment in segments {
        let Ok(file) = File::open(&segment) else {
            continue;
        };
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut head = [0u8; BATCH_HEADER_LEN];
        // A zero or torn tail (preallocated space, a kill) ends the segment.
        while reader.read_exact(&mut head).is_ok() {
            let Ok(header) = BatchHeader::parse(&head) else {
                break;
            };
            let rest = header.size_bytes() - BATCH_HEADER_LEN;
            if reader.seek_relative(rest as i64).is_err() {
                break;
            }
            if header.partition_leader_epoch != epoch {
                continue;
            }
            log.end = Some(header.last_offset());
            if !header.is_control() {
                let records = u64::try_from(header.records_count).unwrap_or(0);
                let span = (header.base_timestamp, header.max_timestamp);
                log.data
                    .push((header.last_offset(), records, span.0, span.1));
            }
        }
    }
    log
}

/// Committed data records of one epoch and the time they span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Committed {
    pub records: u64,
    pub span_ms: i64,
}

impl Committed {
    pub fn records_per_s(&self) -> f64 {
        if self.span_ms <= 0 {
            return 0.0;
        }
        self.records as f64 * 1000.0 / self.span_ms as f64
    }
}

/// The data records of `epoch` up to the offset a majority of `partition_dirs` hold, counted in
/// `leader_dir`, and the CreateTime span from the first to the last of them.
pub fn committed_in_epoch(
    leader_dir: &Path,
    partition_dirs: &[PathBuf],
    epoch: i32,
) -> Option<Committed> {
    let mut ends: Vec<i64> = partition_dirs
        .iter()
        .map(|d| epoch_log(d, epoch).end.unwrap_or(-1))
        .collect();
    ends.sort_unstable_by(|a, b| b.cmp(a));
    let majority_end = *ends.get(partition_dirs.len() / 2)?;
    let leader = epoch_log(leader_dir, epoch);
    let held: Vec<&(i64, u64, i64, i64)> = leader
        .data
        .iter()
        .filter(|(last, ..)| *last <= majority_end)
        .collect();
    let first = held.first()?;
    let last = held.last()?;
    Some(Committed {
        records: held.iter().map(|b| b.1).sum(),
        span_ms: last.3 - first.2,
    })
}
