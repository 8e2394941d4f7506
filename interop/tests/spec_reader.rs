//! The spec reader judges the files: it must accept what the writer writes and refuse, loudly and
//! at the right byte, any corrupt or torn batch that the caller did not allow.

use std::path::{Path, PathBuf};

use kraft_interop::history::History;
use kraft_interop::spec_log::{read_log, read_log_to, try_read_log, Tail};
use kraft_interop::spec_reader::{crc32c, parse_segment};
use kraft_records::BatchBuilder;

/// A batch of `records` values built by kraft-records (the producer side).
fn batch(base_offset: i64, epoch: i32, records: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut builder = BatchBuilder::new(&mut buf, base_offset, epoch, 1_700_000_000_000);
    for i in 0..records {
        builder.append_value(&[i as u8; 40]);
    }
    builder.finish();
    buf
}

/// Batches of 2 records each from `base_offset` (epoch 3), concatenated, with their positions.
fn segment(base_offset: i64, count: usize) -> (Vec<u8>, Vec<usize>) {
    let mut bytes = Vec::new();
    let mut positions = Vec::new();
    for i in 0..count {
        positions.push(bytes.len());
        bytes.extend_from_slice(&batch(base_offset + 2 * i as i64, 3, 2));
    }
    (bytes, positions)
}

fn write_segment(dir: &Path, base_offset: i64, bytes: &[u8]) -> PathBuf {
    let path = dir.join(format!("{base_offset:020}.log"));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn crc32c_matches_the_castagnoli_check_value() {
    assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    assert_eq!(crc32c(b""), 0);
}

#[test]
fn writer_batches_parse_and_a_zero_tail_is_the_clean_end() {
    let (mut bytes, positions) = segment(10, 4);
    bytes.extend_from_slice(&[0u8; 300]);
    let scan = parse_segment(&bytes, 10);
    assert_eq!(scan.fault, None);
    let found: Vec<(usize, i64, i64, i32)> = scan
        .batches
        .iter()
        .map(|b| (b.position, b.base_offset, b.last_offset, b.epoch))
        .collect();
    let expected: Vec<(usize, i64, i64, i32)> = positions
        .iter()
        .enumerate()
        .map(|(i, &p)| (p, 10 + 2 * i as i64, 11 + 2 * i as i64, 3))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn a_flipped_bit_is_refused_at_its_batch_with_the_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bytes, positions) = segment(0, 5);
    bytes[positions[2] + 70] ^= 0x01;
    let path = write_segment(dir.path(), 0, &bytes);
    for tail in [Tail::Clean, Tail::TornFrom(5), Tail::TornFrom(10)] {
        let fault = try_read_log(dir.path(), tail).unwrap_err();
        assert_eq!(fault.file, path, "{tail:?}");
        assert_eq!(fault.position, positions[2], "{tail:?}");
        assert!(fault.reason.contains("CRC-32C"), "{tail:?}: {fault}");
    }
    // Past every offset the caller requires, the same damage is a torn tail: reading stops there.
    let log = read_log_to(dir.path(), 4);
    assert_eq!(log.len(), 2);
    let message = std::panic::catch_unwind(|| read_log(dir.path()))
        .map(|_| ())
        .unwrap_err();
    let text = message.downcast_ref::<String>().unwrap();
    assert!(
        text.contains(&path.display().to_string())
            && text.contains(&format!("at byte {}", positions[2])),
        "{text}"
    );
}

#[test]
fn a_torn_last_batch_is_allowed_only_above_the_required_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, positions) = segment(0, 4);
    write_segment(dir.path(), 0, &bytes[..bytes.len() - 7]);
    let fault = try_read_log(dir.path(), Tail::Clean).unwrap_err();
    assert_eq!(fault.position, positions[3]);
    assert!(fault.reason.contains("runs past the end"), "{fault}");
    assert_eq!(read_log_to(dir.path(), 6).len(), 3);
    let below = try_read_log(dir.path(), Tail::TornFrom(7)).unwrap_err();
    assert!(below.reason.contains("below offset 7"), "{below}");
    // A log that simply ends below the required offset is refused too.
    let whole = tempfile::tempdir().unwrap();
    write_segment(whole.path(), 0, &bytes);
    assert_eq!(read_log(whole.path()).len(), 4);
    let short = try_read_log(whole.path(), Tail::TornFrom(9)).unwrap_err();
    assert!(short.reason.contains("ends at offset 8"), "{short}");
}

#[test]
fn only_the_last_segment_may_end_torn_and_segments_must_continue() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = segment(0, 3);
    let (second, _) = segment(6, 3);
    let torn_first = write_segment(dir.path(), 0, &first[..first.len() - 1]);
    write_segment(dir.path(), 6, &second);
    let fault = try_read_log(dir.path(), Tail::TornFrom(0)).unwrap_err();
    assert_eq!(fault.file, torn_first);
    assert!(fault.reason.contains("only the last segment"), "{fault}");

    write_segment(dir.path(), 0, &first);
    std::fs::rename(
        dir.path().join(format!("{:020}.log", 6)),
        dir.path().join(format!("{:020}.log", 8)),
    )
    .unwrap();
    let gap = try_read_log(dir.path(), Tail::TornFrom(0)).unwrap_err();
    assert!(gap.reason.contains("where offset 6 comes next"), "{gap}");
}

#[test]
fn history_finds_a_changed_or_missing_committed_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _) = segment(0, 4);
    write_segment(dir.path(), 0, &bytes);
    let log = read_log(dir.path());
    let mut history = History::new();
    assert_eq!(history.record(&log, 4), 2, "batches ending below offset 4");
    assert_eq!(history.end_offset(), 4);
    assert_eq!(history.check(&log), Ok(()));
    assert!(history.check(&log[..1]).unwrap_err().contains("offset 2"));

    // Same offsets, another epoch: the committed batch was replaced.
    let mut other = log.clone();
    let replaced = batch(2, 4, 2);
    other[1].bytes = replaced;
    other[1].epoch = 4;
    let err = history.check(&other).unwrap_err();
    assert!(
        err.contains("offset 2 (epoch 3") && err.contains("now epoch 4"),
        "{err}"
    );
}
