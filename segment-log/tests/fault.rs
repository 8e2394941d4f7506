//! Fault injection on real files: torn tails, bit flips, trailing zeros/garbage, lost indexes.
//! After each fault, reopening must keep every batch before the damage, drop the rest, never
//! panic, and leave a directory the independent spec reader accepts.

mod common;

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use common::spec_reader::{self, SpecBatch};
use common::{
    copy_dir, data_batch, partition_dir, scratch_dir, segment_files, small_config, XorShift,
};
use kraft_segment_log::{EpochCacheRecovery, LogError, SegmentLog};

struct Pristine {
    _root: tempfile::TempDir,
    dir: PathBuf,
    /// Every batch as stored (spec reader view) and its bytes.
    batches: Vec<SpecBatch>,
    bytes: Vec<Vec<u8>>,
    last_segment: PathBuf,
}

/// A flushed log over several segments; the last segment holds a few batches.
fn pristine(close: bool) -> Pristine {
    let root = scratch_dir();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    let mut rng = XorShift(0x5eed);
    for i in 0..40 {
        let epoch = 1 + i / 10;
        log.append(&data_batch(
            0,
            epoch,
            1 + rng.below(3) as usize,
            20 + rng.below(120) as usize,
            rng.next_u64(),
        ))
        .unwrap();
    }
    log.flush().unwrap();
    if close {
        log.close().unwrap();
    } else {
        drop(log);
    }
    let batches = spec_reader::read_partition(&dir);
    let mut bytes = Vec::new();
    let segments = segment_files(&dir);
    for seg in &segments {
        let data = std::fs::read(seg).unwrap();
        let base: i64 = seg.file_stem().unwrap().to_str().unwrap().parse().unwrap();
        for b in spec_reader::read_segment(&data, base) {
            bytes.push(data[b.position..b.position + b.size].to_vec());
        }
    }
    assert!(segments.len() >= 3);
    let last_segment = segments.last().unwrap().clone();
    Pristine {
        _root: root,
        dir,
        batches,
        bytes,
        last_segment,
    }
}

impl Pristine {
    fn copy(&self, to: &Path) -> PathBuf {
        let dir = to.join("p-0");
        copy_dir(&self.dir, &dir);
        dir
    }

    /// Batches stored in the last segment (positions are in that file).
    fn last_segment_batches(&self) -> Vec<(usize, SpecBatch)> {
        let base: i64 = self
            .last_segment
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        self.batches
            .iter()
            .enumerate()
            .filter(|(_, b)| b.base_offset >= base)
            .map(|(i, b)| (i, b.clone()))
            .collect()
    }
}

fn file_in(dir: &Path, like: &Path) -> PathBuf {
    dir.join(like.file_name().unwrap())
}

/// Opens the damaged copy and checks it holds exactly the first `keep` batches, byte for byte;
/// then checks it still works: append, flush, reopen, spec reader.
fn reopen_expecting(dir: &Path, p: &Pristine, keep: usize) -> kraft_segment_log::RecoveryReport {
    let (mut log, report) =
        SegmentLog::open(dir, small_config()).unwrap_or_else(|e| panic!("reopen failed: {e}"));
    let expected_end = if keep == 0 {
        0
    } else {
        p.batches[keep - 1].last_offset + 1
    };
    assert_eq!(log.log_end_offset(), expected_end, "{report:?}");
    let reader = log.reader();
    let mut offset = 0;
    let mut got = Vec::new();
    while let Some(slice) = reader.read(offset, 1000).unwrap() {
        got.extend_from_slice(&slice);
        offset = slice.next_offset();
    }
    assert!(got == p.bytes[..keep].concat(), "kept bytes differ");
    // The epoch cache never mentions offsets that are gone.
    assert!(log
        .epoch_cache()
        .entries()
        .iter()
        .all(|e| e.start_offset < expected_end.max(1)));
    let info = log.append(&data_batch(0, 50, 1, 5, 1)).unwrap();
    assert_eq!(info.base_offset, expected_end);
    log.flush().unwrap();
    drop(log);
    let (log, second) = SegmentLog::open(dir, small_config()).unwrap();
    assert_eq!(log.log_end_offset(), expected_end + 1);
    assert_eq!(second.dropped_tail, None, "damage must be gone for good");
    drop(log);
    let spec = spec_reader::read_partition(dir);
    assert_eq!(spec.len(), keep + 1);
    report
}

#[test]
fn cut_last_segment_at_every_byte_of_its_last_batch() {
    for close in [false, true] {
        let p = pristine(close);
        let (last_index, last) = p.last_segment_batches().last().cloned().unwrap();
        let scratch = scratch_dir();
        for cut in last.position..=last.position + last.size {
            let dir = p.copy(&scratch.path().join(format!("cut{cut}")));
            let seg = file_in(&dir, &p.last_segment);
            OpenOptions::new()
                .write(true)
                .open(&seg)
                .unwrap()
                .set_len(cut as u64)
                .unwrap();
            let keep = if cut == last.position + last.size {
                last_index + 1
            } else {
                last_index
            };
            let report = reopen_expecting(&dir, &p, keep);
            // A tail of only zero bytes is indistinguishable from preallocated space: not damage.
            let tail = &p.bytes[last_index][..cut - last.position];
            let partial = cut < last.position + last.size && tail.iter().any(|&b| b != 0);
            assert_eq!(
                report.dropped_tail.is_some(),
                partial,
                "cut {cut}: {report:?}"
            );
            if let Some(dropped) = report.dropped_tail {
                assert_eq!(dropped.position, last.position as u64);
                assert_eq!(dropped.dropped_bytes, (cut - last.position) as u64);
                assert!(dropped.reason.len() > 3);
                assert_eq!(dropped.first_dropped_offset, last.base_offset);
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}

#[test]
fn torn_write_zeroes_inside_preallocated_segment() {
    let p = pristine(false);
    let (last_index, last) = p.last_segment_batches().last().cloned().unwrap();
    let scratch = scratch_dir();
    for cut in (last.position..last.position + last.size).step_by(3) {
        let dir = p.copy(&scratch.path().join(format!("torn{cut}")));
        let seg = file_in(&dir, &p.last_segment);
        let mut data = std::fs::read(&seg).unwrap();
        data[cut..last.position + last.size].fill(0);
        std::fs::write(&seg, &data).unwrap();
        reopen_expecting(&dir, &p, last_index);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn random_bit_flips_drop_the_damaged_batch_and_everything_after() {
    let p = pristine(true);
    let in_last = p.last_segment_batches();
    let scratch = scratch_dir();
    let mut rng = XorShift(0xb17f);
    for round in 0..120 {
        // Damage any batch of the last segment, not only the last one.
        let (index, batch) = in_last[rng.below(in_last.len() as u64) as usize].clone();
        // PartitionLeaderEpoch (bytes 12..16) is neither covered by the CRC nor checkable
        // (Kafka stamps it after computing the CRC), so a flip there is undetectable by design.
        let mut at = batch.position + rng.below(batch.size as u64 - 4) as usize;
        if at >= batch.position + 12 {
            at += 4;
        }
        let dir = p.copy(&scratch.path().join(format!("flip{round}")));
        let seg = file_in(&dir, &p.last_segment);
        let mut data = std::fs::read(&seg).unwrap();
        data[at] ^= 1 << rng.below(8);
        std::fs::write(&seg, &data).unwrap();
        let report = reopen_expecting(&dir, &p, index);
        let dropped = report.dropped_tail.expect("damage is reported");
        assert_eq!(dropped.position, batch.position as u64);
        assert_eq!(dropped.first_dropped_offset, batch.base_offset);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn trailing_zeros_are_kept_silently_and_garbage_is_dropped() {
    let p = pristine(true);
    let all = p.batches.len();
    let scratch = scratch_dir();
    let mut rng = XorShift(77);
    for (name, garbage) in [
        ("zeros", vec![0u8; 5000]),
        (
            "garbage",
            (0..777).map(|_| rng.next_u64() as u8).collect::<Vec<u8>>(),
        ),
        ("one-byte", vec![0x42]),
        ("header-like", data_batch(999, 1, 1, 10, 3)),
    ] {
        let dir = p.copy(&scratch.path().join(name));
        let seg = file_in(&dir, &p.last_segment);
        let mut data = std::fs::read(&seg).unwrap();
        let data_len = data.len();
        data.extend_from_slice(&garbage);
        std::fs::write(&seg, &data).unwrap();
        let report = reopen_expecting(&dir, &p, all);
        match name {
            "zeros" => assert_eq!(report.dropped_tail, None),
            _ => {
                let dropped = report.dropped_tail.expect("garbage is reported");
                assert_eq!(dropped.position, data_len as u64);
                assert_eq!(dropped.dropped_bytes, garbage.len() as u64);
            }
        }
    }
}

#[test]
fn deleted_or_garbled_indexes_are_rebuilt_identically() {
    let p = pristine(true);
    let originals: Vec<(PathBuf, Vec<u8>)> = segment_files(&p.dir)
        .iter()
        .map(|s| {
            let idx = s.with_extension("index");
            let bytes = std::fs::read(&idx).unwrap();
            (idx, bytes)
        })
        .collect();
    assert!(
        originals.iter().any(|(_, b)| !b.is_empty()),
        "test needs index entries"
    );
    let scratch = scratch_dir();
    for garble in [false, true] {
        let dir = p.copy(&scratch.path().join(format!("g{garble}")));
        for (idx, bytes) in &originals {
            let path = file_in(&dir, idx);
            if garble {
                let junk: Vec<u8> = bytes.iter().map(|b| b ^ 0x5a).chain([1, 2, 3]).collect();
                std::fs::write(&path, junk).unwrap();
            } else {
                std::fs::remove_file(&path).unwrap();
            }
        }
        let (log, report) = SegmentLog::open(&dir, small_config()).unwrap();
        assert_eq!(report.rebuilt_indexes.len(), originals.len(), "{report:?}");
        drop(log);
        // Sealed segments get exactly the original index back.
        for (idx, bytes) in &originals[..originals.len() - 1] {
            assert_eq!(&std::fs::read(file_in(&dir, idx)).unwrap(), bytes);
        }
        reopen_expecting(&dir, &p, p.batches.len());
    }
}

#[test]
fn damage_before_the_last_segment_is_an_error_naming_file_and_position() {
    let p = pristine(true);
    let first = segment_files(&p.dir)[0].clone();
    let batch = p.batches[1].clone();
    let scratch = scratch_dir();
    let dir = p.copy(scratch.path());
    let seg = file_in(&dir, &first);
    let mut data = std::fs::read(&seg).unwrap();
    data[batch.position + 30] ^= 0x10;
    std::fs::write(&seg, &data).unwrap();
    match SegmentLog::open(&dir, small_config()) {
        Err(LogError::Corrupt { file, position, .. }) => {
            assert_eq!(file, seg);
            assert_eq!(position, batch.position as u64);
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    // A missing middle segment is a gap: also an error, not silent loss.
    let dir2 = p.copy(&scratch.path().join("gap"));
    std::fs::remove_file(file_in(&dir2, &segment_files(&p.dir)[1])).unwrap();
    let err = SegmentLog::open(&dir2, small_config()).unwrap_err();
    assert!(matches!(err, LogError::Corrupt { .. }), "{err}");
}

#[test]
fn bad_or_missing_epoch_checkpoint_is_rebuilt_from_headers() {
    let p = pristine(true);
    let expected = spec_reader::read_epoch_checkpoint(&p.dir);
    let scratch = scratch_dir();
    for (name, content) in [
        ("missing", None),
        ("garbled", Some(b"0\n7\nxx\n".to_vec())),
        ("wrong", Some(b"0\n1\n3 0\n".to_vec())),
    ] {
        let dir = p.copy(&scratch.path().join(name));
        let path = dir.join("leader-epoch-checkpoint");
        match content {
            None => std::fs::remove_file(&path).unwrap(),
            Some(c) => std::fs::write(&path, c).unwrap(),
        }
        let (log, report) = SegmentLog::open(&dir, small_config()).unwrap();
        assert!(
            matches!(report.epoch_cache, EpochCacheRecovery::Rebuilt { .. }),
            "{name}"
        );
        let got: Vec<(i32, i64)> = log
            .epoch_cache()
            .entries()
            .iter()
            .map(|e| (e.epoch, e.start_offset))
            .collect();
        assert_eq!(got, expected, "{name}");
        drop(log);
        assert_eq!(
            spec_reader::read_epoch_checkpoint(&dir),
            expected,
            "{name}: file rewritten"
        );
    }
}
