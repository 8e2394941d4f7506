//! An independent reader of segment and index files, written from the spec (KRAFT.md 4.1, 4.3):
//! batch v2 header layout, CRC-32C over [21, end), 8-byte big-endian index entries.

use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecBatch {
    pub position: usize,
    pub size: usize,
    pub base_offset: i64,
    pub last_offset: i64,
    pub epoch: i32,
    pub records: i32,
}

fn i64_at(b: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(b[at..at + 8].try_into().unwrap())
}
fn i32_at(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

/// Parses a whole segment: every byte must belong to a valid batch, except an all-zero tail
/// (preallocated space). Panics (test failure) on anything else.
pub fn read_segment(bytes: &[u8], expected_base: i64) -> Vec<SpecBatch> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut next = expected_base;
    while pos < bytes.len() {
        if bytes[pos..].iter().all(|&b| b == 0) {
            break;
        }
        assert!(bytes.len() - pos >= 61, "short header at {pos}");
        let base = i64_at(bytes, pos);
        let length = i32_at(bytes, pos + 8);
        assert!(length >= 49, "batch length {length} at {pos}");
        let size = length as usize + 12;
        assert!(
            pos + size <= bytes.len(),
            "batch at {pos} runs past the file"
        );
        let batch = &bytes[pos..pos + size];
        assert_eq!(batch[16], 2, "magic at {pos}");
        let stored_crc = u32::from_be_bytes(batch[17..21].try_into().unwrap());
        assert_eq!(
            crc32c::crc32c(&batch[21..]),
            stored_crc,
            "CRC-32C of batch at {pos}"
        );
        let last_delta = i32_at(batch, 23);
        let records = i32_at(batch, 57);
        assert_eq!(
            last_delta + 1,
            records,
            "last offset delta vs record count at {pos}"
        );
        assert_eq!(base, next, "base offset at {pos}");
        // Walk the records: each is a zigzag varint length followed by that many bytes.
        let mut rpos = 61;
        for _ in 0..records {
            let (len, used) = zigzag_varint(&batch[rpos..]);
            rpos += used + len as usize;
        }
        assert_eq!(rpos, size, "records fill the batch at {pos}");
        out.push(SpecBatch {
            position: pos,
            size,
            base_offset: base,
            last_offset: base + last_delta as i64,
            epoch: i32_at(batch, 12),
            records,
        });
        next = base + last_delta as i64 + 1;
        pos += size;
    }
    out
}

fn zigzag_varint(b: &[u8]) -> (i64, usize) {
    let mut value: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (((value >> 1) as i64) ^ -((value & 1) as i64), i + 1);
        }
    }
    panic!("unterminated varint");
}

/// Parses an offset index and checks each entry points at a batch whose last offset is the
/// entry's offset, ascending. Trailing all-zero entries (preallocated) are ignored; entries after
/// them must be zero too.
pub fn check_index(index: &[u8], base: i64, batches: &[SpecBatch]) -> usize {
    assert_eq!(index.len() % 8, 0, "index length");
    let mut count = 0;
    let mut prev: Option<(u32, u32)> = None;
    for (i, entry) in index.chunks(8).enumerate() {
        // No entry ever points at position 0 (one is added only after more than
        // index.interval.bytes), so an all-zero entry is preallocated space: the end.
        if entry.iter().all(|&b| b == 0) {
            assert!(
                index[i * 8..].iter().all(|&b| b == 0),
                "entries after the end of the index"
            );
            break;
        }
        let rel = u32::from_be_bytes(entry[..4].try_into().unwrap());
        let pos = u32::from_be_bytes(entry[4..].try_into().unwrap());
        if let Some((pr, pp)) = prev {
            assert!(rel > pr && pos > pp, "index not ascending");
        }
        let batch = batches
            .iter()
            .find(|b| b.position == pos as usize)
            .unwrap_or_else(|| panic!("index entry position {pos} is not a batch start"));
        assert_eq!(batch.last_offset, base + rel as i64, "index entry offset");
        prev = Some((rel, pos));
        count += 1;
    }
    count
}

/// Reads every segment of a partition directory with the spec reader; checks offsets continue
/// across segments and every index. Returns all batches in order.
pub fn read_partition(dir: &Path) -> Vec<SpecBatch> {
    let mut all: Vec<SpecBatch> = Vec::new();
    for path in super::segment_files(dir) {
        let name = path.file_stem().unwrap().to_str().unwrap();
        assert_eq!(name.len(), 20, "segment name {name}");
        let base: i64 = name.parse().unwrap();
        if let Some(last) = all.last() {
            assert_eq!(
                base,
                last.last_offset + 1,
                "segment {name} continues the log"
            );
        }
        let bytes = std::fs::read(&path).unwrap();
        let batches = read_segment(&bytes, base);
        let index_path = path.with_extension("index");
        if let Ok(index) = std::fs::read(&index_path) {
            check_index(&index, base, &batches);
        }
        all.extend(batches);
    }
    all
}

/// Parses `leader-epoch-checkpoint` text: version 0, count, "<epoch> <offset>" lines.
pub fn read_epoch_checkpoint(dir: &Path) -> Vec<(i32, i64)> {
    let text = std::fs::read_to_string(dir.join("leader-epoch-checkpoint")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("0"));
    let count: usize = lines.next().unwrap().parse().unwrap();
    let entries: Vec<(i32, i64)> = lines
        .map(|l| {
            let (e, o) = l.split_once(' ').unwrap();
            (e.parse().unwrap(), o.parse().unwrap())
        })
        .collect();
    assert_eq!(entries.len(), count);
    entries
}
