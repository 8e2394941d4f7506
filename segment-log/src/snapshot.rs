//! Snapshot files (spec 4.5): `<20-digit end offset>-<10-digit epoch>.checkpoint` holding record
//! batches whose offsets restart at 0. Written as `<id>-<random>.checkpoint.part`, then frozen by
//! fsync + rename; deleted ones are first renamed to `<id>.checkpoint.deleted`.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::Mmap;

use kraft_records::{validate_batch, BatchHeader, BatchIter};

use crate::error::LogError;
use crate::fsutil;

pub const SNAPSHOT_SUFFIX: &str = ".checkpoint";
pub const PARTIAL_SUFFIX: &str = ".checkpoint.part";
pub const DELETED_SUFFIX: &str = ".checkpoint.deleted";

/// Everything below `end_offset` is in the snapshot; `epoch` is the epoch of offset end - 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapshotId {
    pub end_offset: i64,
    pub epoch: i32,
}

impl SnapshotId {
    /// `00000000000000012345-0000000007`.
    pub fn file_stem(&self) -> String {
        format!("{:020}-{:010}", self.end_offset, self.epoch)
    }

    pub fn file_name(&self) -> String {
        format!("{}{SNAPSHOT_SUFFIX}", self.file_stem())
    }

    pub fn path_in(&self, dir: &Path) -> PathBuf {
        dir.join(self.file_name())
    }

    /// The KIP-853 bootstrap snapshot (0, 0): never served or advertised.
    pub fn is_bootstrap(&self) -> bool {
        self.end_offset == 0 && self.epoch == 0
    }
}

impl fmt::Display for SnapshotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(end offset {}, epoch {})", self.end_offset, self.epoch)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotFileKind {
    Frozen,
    Partial,
    Deleted,
}

fn parse_stem(stem: &str) -> Option<SnapshotId> {
    let (offset, epoch) = stem.split_once('-')?;
    if offset.len() != 20 || epoch.len() != 10 {
        return None;
    }
    if !offset
        .bytes()
        .chain(epoch.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some(SnapshotId {
        end_offset: offset.parse().ok()?,
        epoch: epoch.parse().ok()?,
    })
}

/// Recognizes snapshot file names: frozen, partial (`<id>-<anything>.checkpoint.part`) and deleted.
pub fn parse_snapshot_file_name(name: &str) -> Option<(SnapshotId, SnapshotFileKind)> {
    if let Some(stem) = name.strip_suffix(PARTIAL_SUFFIX) {
        return parse_stem(stem.get(..31)?).map(|id| (id, SnapshotFileKind::Partial));
    }
    if let Some(stem) = name.strip_suffix(DELETED_SUFFIX) {
        return parse_stem(stem).map(|id| (id, SnapshotFileKind::Deleted));
    }
    let stem = name.strip_suffix(SNAPSHOT_SUFFIX)?;
    parse_stem(stem).map(|id| (id, SnapshotFileKind::Frozen))
}

/// Frozen snapshots in `dir`, ascending.
pub fn list_snapshots(dir: &Path) -> Result<Vec<SnapshotId>, LogError> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| LogError::io(dir, "read directory", e))?;
    for entry in entries.take(1 << 20) {
        let entry = entry.map_err(|e| LogError::io(dir, "read directory", e))?;
        if let Some(name) = entry.file_name().to_str() {
            if let Some((id, SnapshotFileKind::Frozen)) = parse_snapshot_file_name(name) {
                out.push(id);
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Renames a frozen snapshot to `.checkpoint.deleted` (the caller removes it later).
pub fn mark_deleted(dir: &Path, id: SnapshotId) -> Result<PathBuf, LogError> {
    let from = id.path_in(dir);
    let to = dir.join(format!("{}{DELETED_SUFFIX}", id.file_stem()));
    std::fs::rename(&from, &to).map_err(|e| LogError::io(&from, "rename", e))?;
    fsutil::fsync_dir(dir)?;
    Ok(to)
}

/// Deletes a frozen snapshot for good (retention, or older than a loaded download): renamed to
/// `.checkpoint.deleted` first, so a crash never leaves a half-deleted file under a frozen name,
/// then removed. Readers that mapped it keep their mapping.
pub fn delete_snapshot(dir: &Path, id: SnapshotId) -> Result<(), LogError> {
    let deleted = mark_deleted(dir, id)?;
    fsutil::remove_file(&deleted)
}

static PARTIAL_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes a snapshot into a `.part` file; nothing is visible under the final name until
/// [`freeze`](SnapshotWriter::freeze). Dropped unfrozen, the partial file is removed.
#[derive(Debug)]
pub struct SnapshotWriter {
    id: SnapshotId,
    dir: PathBuf,
    part_path: PathBuf,
    file: Option<File>,
    size_bytes: u64,
    next_offset: i64,
}

impl SnapshotWriter {
    pub fn create(dir: &Path, id: SnapshotId) -> Result<SnapshotWriter, LogError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let unique = format!(
            "{:x}{:x}{:x}",
            std::process::id(),
            nanos,
            PARTIAL_COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let part_path = dir.join(format!("{}-{unique}{PARTIAL_SUFFIX}", id.file_stem()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&part_path)
            .map_err(|e| LogError::io(&part_path, "create", e))?;
        Ok(SnapshotWriter {
            id,
            dir: dir.to_path_buf(),
            part_path,
            file: Some(file),
            size_bytes: 0,
            next_offset: 0,
        })
    }

    pub fn id(&self) -> SnapshotId {
        self.id
    }

    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    /// Appends one or more whole, valid batches whose offsets continue the snapshot from 0.
    pub fn append(&mut self, batches: &[u8]) -> Result<(), LogError> {
        let mut pos = 0usize;
        let mut next = self.next_offset;
        while pos < batches.len() {
            let header = validate_batch(&batches[pos..]).map_err(|e| LogError::InvalidBatch {
                reason: format!("snapshot batch at byte {pos}: {e}"),
            })?;
            if header.base_offset != next {
                return Err(LogError::UnexpectedBaseOffset {
                    base_offset: header.base_offset,
                    log_end_offset: next,
                });
            }
            next = header.next_offset();
            pos += header.size_bytes();
        }
        let file = self.file.as_mut().expect("writer not frozen");
        file.write_all(batches)
            .map_err(|e| LogError::io(&self.part_path, "write", e))?;
        self.size_bytes += batches.len() as u64;
        self.next_offset = next;
        Ok(())
    }

    /// Appends raw bytes as received from a FetchSnapshot response (validated at freeze).
    pub fn append_raw(&mut self, bytes: &[u8]) -> Result<(), LogError> {
        let file = self.file.as_mut().expect("writer not frozen");
        file.write_all(bytes)
            .map_err(|e| LogError::io(&self.part_path, "write", e))?;
        self.size_bytes += bytes.len() as u64;
        Ok(())
    }

    /// fsync, validate every batch, rename to the final name, fsync the directory.
    pub fn freeze(self) -> Result<PathBuf, LogError> {
        self.freeze_after(|reader| reader.validate().map(|_| ()))
    }

    /// As [`freeze`](Self::freeze) for a downloaded snapshot: the whole file must pass
    /// [`SnapshotReader::check`] (CRCs, offsets, SnapshotHeader first, SnapshotFooter last) and
    /// hold exactly `expected_size` bytes (the size the leader advertised).
    pub fn freeze_checked(self, expected_size: u64) -> Result<PathBuf, LogError> {
        self.freeze_after(|reader| reader.check(Some(expected_size)).map(|_| ()))
    }

    fn freeze_after(
        mut self,
        check: impl FnOnce(&SnapshotReader) -> Result<(), LogError>,
    ) -> Result<PathBuf, LogError> {
        let file = self.file.take().expect("writer not frozen");
        file.sync_all()
            .map_err(|e| LogError::io(&self.part_path, "fsync", e))?;
        drop(file);
        check(&SnapshotReader::open(&self.part_path)?)?;
        let final_path = self.id.path_in(&self.dir);
        std::fs::rename(&self.part_path, &final_path)
            .map_err(|e| LogError::io(&self.part_path, "rename", e))?;
        fsutil::fsync_dir(&self.dir)?;
        Ok(final_path)
    }
}

impl Drop for SnapshotWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() || self.part_path.exists() {
            let _ = std::fs::remove_file(&self.part_path);
        }
    }
}

/// A frozen snapshot, memory-mapped for zero-copy FetchSnapshot responses and for loading.
#[derive(Debug)]
pub struct SnapshotReader {
    path: PathBuf,
    map: Option<Mmap>,
}

impl SnapshotReader {
    pub fn open(path: &Path) -> Result<SnapshotReader, LogError> {
        let file = File::open(path).map_err(|e| LogError::io(path, "open", e))?;
        let len = fsutil::file_len(&file, path)?;
        let map = if len == 0 {
            None
        } else {
            // SAFETY: snapshot files are immutable once frozen; nobody truncates them in place.
            Some(unsafe { Mmap::map(&file) }.map_err(|e| LogError::io(path, "mmap", e))?)
        };
        Ok(SnapshotReader {
            path: path.to_path_buf(),
            map,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }

    pub fn size_bytes(&self) -> u64 {
        self.bytes().len() as u64
    }

    /// Raw bytes `[position, position + max_bytes)` clipped to the file (FetchSnapshot serves
    /// arbitrary byte ranges).
    pub fn read_at(&self, position: u64, max_bytes: usize) -> Result<&[u8], LogError> {
        let bytes = self.bytes();
        let start = usize::try_from(position)
            .ok()
            .filter(|&p| p <= bytes.len())
            .ok_or(LogError::OutOfRange {
                offset: position as i64,
                log_start_offset: 0,
                log_end_offset: bytes.len() as i64,
            })?;
        let end = start.saturating_add(max_bytes).min(bytes.len());
        Ok(&bytes[start..end])
    }

    /// The batches, CRC-checked as they are iterated.
    pub fn batches(&self) -> BatchIter<'_> {
        BatchIter::new(self.bytes())
    }

    /// Checks every batch (whole, CRC, offsets contiguous from 0); returns the headers' count and
    /// the offset after the last record.
    pub fn validate(&self) -> Result<(u64, i64), LogError> {
        let bytes = self.bytes();
        let mut pos = 0usize;
        let mut next = 0i64;
        let mut count = 0u64;
        while pos < bytes.len() {
            let header: BatchHeader = validate_batch(&bytes[pos..])
                .map_err(|e| LogError::corrupt(&self.path, pos as u64, e.to_string()))?;
            if header.base_offset != next {
                return Err(LogError::corrupt(
                    &self.path,
                    pos as u64,
                    format!(
                        "batch base offset {} where {next} was expected",
                        header.base_offset
                    ),
                ));
            }
            next = header.next_offset();
            pos += header.size_bytes();
            count += 1;
        }
        Ok((count, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let id = SnapshotId {
            end_offset: 12345,
            epoch: 7,
        };
        assert_eq!(id.file_name(), "00000000000000012345-0000000007.checkpoint");
        assert_eq!(
            parse_snapshot_file_name(&id.file_name()),
            Some((id, SnapshotFileKind::Frozen))
        );
        assert_eq!(
            parse_snapshot_file_name("00000000000000012345-0000000007-abc.checkpoint.part"),
            Some((id, SnapshotFileKind::Partial))
        );
        assert_eq!(
            parse_snapshot_file_name("00000000000000012345-0000000007.checkpoint.deleted"),
            Some((id, SnapshotFileKind::Deleted))
        );
        for bad in [
            "leader-epoch-checkpoint",
            "0000000000000001234-0000000007.checkpoint",
            "0000000000000001234x-0000000007.checkpoint",
            "00000000000000012345-000000007.checkpoint",
            "-.checkpoint.part",
        ] {
            assert_eq!(parse_snapshot_file_name(bad), None, "{bad}");
        }
    }
}
