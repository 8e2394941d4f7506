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
    let segments = kraft_interop::process::segment_files(partition_dir);
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

/// Committed data records of one epoch and the time they were committed in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Committed {
    pub records: u64,
    /// From the epoch's first data batch (CreateTime) to the end of the run.
    pub span_ms: i64,
    /// From the first to the last data batch the leader appended: shorter than `span_ms` when
    /// its workload stopped appending before the end.
    pub appending_ms: i64,
}

impl Committed {
    pub fn records_per_s(&self) -> f64 {
        if self.span_ms <= 0 {
            return 0.0;
        }
        self.records as f64 * 1000.0 / self.span_ms as f64
    }
}

/// Milliseconds since the Unix epoch, the clock both kinds stamp CreateTime with.
pub fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The data records of `epoch` up to the offset a majority of `partition_dirs` hold (the logs as
/// the members were stopped at `end_ms`), counted in `leader_dir`, over the time from the first
/// one's CreateTime to `end_ms`. Dividing by the wall time rather than by the CreateTime span of
/// the records held counts a quorum whose followers lag behind at the rate it commits, not at
/// the rate its leader appends.
pub fn committed_in_epoch(
    leader_dir: &Path,
    partition_dirs: &[PathBuf],
    epoch: i32,
    end_ms: i64,
) -> Option<Committed> {
    let mut ends: Vec<i64> = partition_dirs
        .iter()
        .map(|d| epoch_log(d, epoch).end.unwrap_or(-1))
        .collect();
    ends.sort_unstable_by(|a, b| b.cmp(a));
    let majority_end = *ends.get(partition_dirs.len() / 2)?;
    let leader = epoch_log(leader_dir, epoch);
    let first = leader.data.first()?;
    let last_appended = leader.data.last()?;
    let records = leader
        .data
        .iter()
        .filter(|(last, ..)| *last <= majority_end)
        .map(|b| b.1)
        .sum();
    Some(Committed {
        records,
        span_ms: end_ms - first.2,
        appending_ms: last_appended.3 - first.2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kraft_records::ATTRIBUTE_CONTROL;

    /// A v2 batch of `count` one-byte records (the walker reads headers only; the records' bytes
    /// are never parsed, so filler stands in for them).
    fn batch(base: i64, count: i32, epoch: i32, ms: i64, control: bool) -> Vec<u8> {
        let payload = vec![0u8; count as usize];
        let mut b = Vec::new();
        b.extend(base.to_be_bytes());
        b.extend(((BATCH_HEADER_LEN - 12 + payload.len()) as i32).to_be_bytes());
        b.extend(epoch.to_be_bytes());
        b.push(2);
        b.extend(0u32.to_be_bytes());
        b.extend((if control { ATTRIBUTE_CONTROL } else { 0 }).to_be_bytes());
        b.extend((count - 1).to_be_bytes());
        b.extend(ms.to_be_bytes());
        b.extend(ms.to_be_bytes());
        b.extend((-1i64).to_be_bytes());
        b.extend((-1i16).to_be_bytes());
        b.extend((-1i32).to_be_bytes());
        b.extend(count.to_be_bytes());
        b.extend(payload);
        b
    }

    /// Epoch 1 (ignored), then epoch 2's control batch and data batches of 2 records at offsets
    /// 1, 3, ..., up to `end`, 100 ms apart from t = 1000 ms; then a zero tail.
    fn log(dir: &Path, end: i64) -> PathBuf {
        let partition = dir.join(format!("p{end}"));
        std::fs::create_dir_all(&partition).unwrap();
        let mut data = batch(0, 1, 1, 10, false);
        data.extend(batch(0, 1, 2, 990, true));
        let mut offset = 1;
        while offset < end {
            data.extend(batch(offset, 2, 2, 1000 + (offset - 1) * 50, false));
            offset += 2;
        }
        data.extend([0u8; 128]);
        std::fs::write(partition.join("00000000000000000000.log"), data).unwrap();
        partition
    }

    #[test]
    fn counts_the_leader_epochs_records_a_majority_holds() {
        let dir = tempfile::tempdir().unwrap();
        let leader = log(dir.path(), 20);
        let dirs = vec![leader.clone(), log(dir.path(), 10), log(dir.path(), 6)];
        let committed = committed_in_epoch(&leader, &dirs, 2, 3000).unwrap();
        // Offsets 1..=10 in epoch 2 on two of three logs: 5 batches of 2 records, the first at
        // 1000 ms; the run ended at 3000 ms; the leader appended up to offset 20 at 1900 ms.
        assert_eq!(
            committed,
            Committed {
                records: 10,
                span_ms: 2000,
                appending_ms: 900,
            }
        );
        assert_eq!(committed.records_per_s(), 5.0);
        assert!(committed_in_epoch(&leader, &dirs, 3, 3000).is_none());
    }
}
