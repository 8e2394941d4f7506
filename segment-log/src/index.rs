//! Kafka's sparse offset index (`.index`): 8-byte big-endian entries of (offset - segment base
//! offset as int32, file position as int32), ascending in both. Lookup = greatest entry whose
//! offset is <= the target, then scan batches from its position.

pub const INDEX_ENTRY_BYTES: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    pub relative_offset: u32,
    pub position: u32,
}

impl IndexEntry {
    pub fn encode(&self) -> [u8; INDEX_ENTRY_BYTES] {
        let mut out = [0u8; INDEX_ENTRY_BYTES];
        out[..4].copy_from_slice(&self.relative_offset.to_be_bytes());
        out[4..].copy_from_slice(&self.position.to_be_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<IndexEntry> {
        let relative_offset = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?);
        let position = u32::from_be_bytes(bytes.get(4..8)?.try_into().ok()?);
        Some(IndexEntry {
            relative_offset,
            position,
        })
    }
}

/// Position to start scanning from for `relative_target` in the published entries `index`
/// (`index.len()` is a multiple of 8). Returns 0 when no entry is <= the target.
pub fn lookup(index: &[u8], relative_target: u32) -> u32 {
    let count = index.len() / INDEX_ENTRY_BYTES;
    let entry = |i: usize| IndexEntry::decode(&index[i * INDEX_ENTRY_BYTES..]);
    // Binary search for the last entry with relative_offset <= target.
    let (mut lo, mut hi) = (0usize, count);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match entry(mid) {
            Some(e) if e.relative_offset <= relative_target => lo = mid + 1,
            _ => hi = mid,
        }
    }
    if lo == 0 {
        0
    } else {
        entry(lo - 1).map_or(0, |e| e.position)
    }
}

/// Number of entries (from the published ones) whose position is below `position`: what stays
/// after truncating the segment at `position`.
pub fn entries_below(index: &[u8], position: u32) -> usize {
    let count = index.len() / INDEX_ENTRY_BYTES;
    let (mut lo, mut hi) = (0usize, count);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match IndexEntry::decode(&index[mid * INDEX_ENTRY_BYTES..]) {
            Some(e) if e.position < position => lo = mid + 1,
            _ => hi = mid,
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(entries: &[(u32, u32)]) -> Vec<u8> {
        entries
            .iter()
            .flat_map(|&(o, p)| {
                IndexEntry {
                    relative_offset: o,
                    position: p,
                }
                .encode()
            })
            .collect()
    }

    #[test]
    fn lookup_finds_floor_entry() {
        let idx = index(&[(10, 4100), (20, 8300), (35, 12500)]);
        assert_eq!(lookup(&idx, 0), 0);
        assert_eq!(lookup(&idx, 9), 0);
        assert_eq!(lookup(&idx, 10), 4100);
        assert_eq!(lookup(&idx, 34), 8300);
        assert_eq!(lookup(&idx, 1000), 12500);
        assert_eq!(lookup(&[], 5), 0);
        assert_eq!(entries_below(&idx, 4100), 0);
        assert_eq!(entries_below(&idx, 4101), 1);
        assert_eq!(entries_below(&idx, 99999), 3);
    }
}
