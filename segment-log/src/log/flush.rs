//! Flushing: `FlushTicket` carries one flush's work (segment fdatasync, directory fsync, epoch
//! checkpoint) away from the writer so the sync can run elsewhere while appends go on.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kraft_records::EpochEntry;

use super::SegmentLog;
use crate::epoch_checkpoint::LeaderEpochCheckpoint;
use crate::error::LogError;
use crate::fsutil;

/// Work for one flush, detached from the writer so the fdatasync can run on any thread (or be
/// replaced by an io_uring fdatasync on the same file) while appends go on.
#[derive(Debug)]
pub struct FlushTicket {
    /// Every offset below this is durable once the ticket is synced.
    pub end_offset: i64,
    files: Vec<(Arc<File>, PathBuf)>,
    dir: Option<PathBuf>,
    checkpoint: Option<(LeaderEpochCheckpoint, Vec<EpochEntry>)>,
    truncations: u64,
    /// `(base offset, bytes)` of the active segment covered by this flush.
    synced_position: Option<(i64, usize)>,
}

impl FlushTicket {
    /// Blocking fdatasync of the written range (plus directory and epoch checkpoint if they
    /// changed). Needs no executor.
    pub fn sync(&self) -> Result<(), LogError> {
        for (file, path) in &self.files {
            fsutil::fdatasync(file, path)?;
        }
        if let Some(dir) = &self.dir {
            fsutil::fsync_dir(dir)?;
        }
        if let Some((checkpoint, entries)) = &self.checkpoint {
            checkpoint.write(entries)?;
        }
        Ok(())
    }

    /// Like [`sync`](Self::sync) but the segment fdatasyncs go through glommio's io_uring, so
    /// the log executor keeps running other tasks meanwhile, on handles `files` keeps open from
    /// one flush to the next. Must run on a glommio executor. Directory fsync and the epoch
    /// checkpoint (rare: new segment or new epoch) stay blocking.
    #[cfg(feature = "glommio")]
    pub async fn sync_uring(&self, files: &crate::UringFiles) -> Result<(), LogError> {
        for (file, path) in &self.files {
            let handle = files.handle(file, path)?;
            handle
                .fdatasync()
                .await
                .map_err(|e| LogError::io(path, "fdatasync (io_uring)", e.into()))?;
        }
        if let Some(dir) = &self.dir {
            fsutil::fsync_dir(dir)?;
        }
        if let Some((checkpoint, entries)) = &self.checkpoint {
            checkpoint.write(entries)?;
        }
        Ok(())
    }

    /// The segment files to fdatasync, for callers that issue the sync themselves (io_uring).
    pub fn files(&self) -> impl Iterator<Item = (&File, &Path)> {
        self.files.iter().map(|(f, p)| (f.as_ref(), p.as_path()))
    }
}

impl SegmentLog {
    /// Everything needed to make the current log end durable, without doing it yet.
    pub fn prepare_flush(&mut self) -> FlushTicket {
        let files = match self.segments.last() {
            Some(active) if self.flushed_end_offset < self.log_end_offset => {
                vec![(active.log_file.clone(), active.shared.log_path.clone())]
            }
            _ => Vec::new(),
        };
        let synced_position = self
            .segments
            .last()
            .map(|active| (active.base_offset(), active.size_bytes));
        let dir = self.dir_dirty.then(|| self.dir.clone());
        let checkpoint = self.epoch_checkpoint_dirty.then(|| {
            (
                self.epoch_checkpoint.clone(),
                self.epoch_cache.entries().to_vec(),
            )
        });
        self.dir_dirty = false;
        self.epoch_checkpoint_dirty = false;
        FlushTicket {
            end_offset: self.log_end_offset,
            files,
            dir,
            checkpoint,
            truncations: self.truncations,
            synced_position,
        }
    }

    /// Records that `ticket` was synced. Returns the flushed end offset.
    pub fn complete_flush(&mut self, ticket: FlushTicket) -> i64 {
        if ticket.truncations == self.truncations {
            self.flushed_end_offset = self
                .flushed_end_offset
                .max(ticket.end_offset.min(self.log_end_offset));
            if let Some((base_offset, synced_bytes)) = ticket.synced_position {
                if let Some(active) = self.segments.last_mut() {
                    // A flush that started before a roll covers the old segment, not this one.
                    if active.base_offset() == base_offset {
                        active.flushed_bytes = active.flushed_bytes.max(synced_bytes);
                    }
                }
            }
        }
        self.flushed_end_offset
    }

    /// Makes everything appended so far durable (fdatasync of the active segment; sealed segments
    /// were synced when they were sealed). Returns the flushed end offset.
    pub fn flush(&mut self) -> Result<i64, LogError> {
        let ticket = self.prepare_flush();
        if let Err(e) = ticket.sync() {
            // Nothing became durable for sure: re-arm what the ticket carried.
            self.dir_dirty |= ticket.dir.is_some();
            self.epoch_checkpoint_dirty |= ticket.checkpoint.is_some();
            return Err(e);
        }
        Ok(self.complete_flush(ticket))
    }

    /// [`flush`](Self::flush) with the fdatasync issued through glommio's io_uring.
    #[cfg(feature = "glommio")]
    pub async fn flush_uring(&mut self, files: &crate::UringFiles) -> Result<i64, LogError> {
        let ticket = self.prepare_flush();
        if let Err(e) = ticket.sync_uring(files).await {
            self.dir_dirty |= ticket.dir.is_some();
            self.epoch_checkpoint_dirty |= ticket.checkpoint.is_some();
            return Err(e);
        }
        Ok(self.complete_flush(ticket))
    }
}
