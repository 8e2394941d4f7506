//! The file system's operations on the backing directory, each leaving its undo entry in the
//! journal before it changes anything. Errors are errnos, replied to the kernel as they are.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use fuser::FileAttr;

use crate::inodes::{attr, errno, Inodes};
use crate::journal::{Journal, Undo};
use crate::trip::{Op, Trip};

/// Reads larger than this are refused: the kernel never asks for more than `max_read`.
const READ_BYTES_MAX: u32 = 16 << 20;

#[derive(Debug)]
pub struct PowerFs {
    pub(crate) inodes: Inodes,
    trash: PathBuf,
    trash_seq: u64,
    handles: HashMap<u64, (u64, Arc<File>)>,
    next_fh: u64,
    journal: Arc<Mutex<Journal>>,
    trip: Arc<Mutex<Trip>>,
}

impl PowerFs {
    /// A file system over `root`; removed objects wait in `trash` (same file system as `root`)
    /// until their removal is durable.
    pub fn new(
        root: &Path,
        trash: &Path,
        journal: Arc<Mutex<Journal>>,
        trip: Arc<Mutex<Trip>>,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(trash)?;
        Ok(PowerFs {
            inodes: Inodes::new(root)?,
            trash: trash.to_path_buf(),
            trash_seq: 0,
            handles: HashMap::new(),
            next_fh: 1,
            journal,
            trip,
        })
    }

    pub(crate) fn journal(&self) -> MutexGuard<'_, Journal> {
        self.journal.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the trip wire lets a mutating request of `thread` through.
    pub(crate) fn allows(&self, thread: u32, op: Op) -> bool {
        self.trip
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .allows(thread, op)
    }

    pub(crate) fn renamed(&self, thread: u32, dir: u64, name: &OsStr) {
        let mut trip = self.trip.lock().unwrap_or_else(|p| p.into_inner());
        trip.renamed(thread, dir, name);
    }

    fn handle(&self, fh: u64) -> Result<(u64, Arc<File>), i32> {
        self.handles.get(&fh).cloned().ok_or(libc::EBADF)
    }

    pub fn getattr(&mut self, ino: u64, fh: Option<u64>) -> Result<FileAttr, i32> {
        if let Some((_, file)) = fh.and_then(|fh| self.handles.get(&fh)) {
            return attr(ino, &file.metadata().map_err(errno)?);
        }
        let meta = std::fs::symlink_metadata(self.inodes.path(ino)?).map_err(errno)?;
        attr(ino, &meta)
    }

    pub fn open(&mut self, ino: u64, flags: i32) -> Result<u64, i32> {
        let writable = flags & libc::O_ACCMODE != libc::O_RDONLY;
        // Never O_APPEND on the backing file: the kernel sends explicit offsets, and pwrite on an
        // O_APPEND descriptor would ignore them.
        let file = OpenOptions::new()
            .read(true)
            .write(writable)
            .open(self.inodes.path(ino)?)
            .map_err(errno)?;
        Ok(self.add_handle(ino, file))
    }

    fn add_handle(&mut self, ino: u64, file: File) -> u64 {
        let fh = self.next_fh;
        self.next_fh += 1;
        self.handles.insert(fh, (ino, Arc::new(file)));
        fh
    }

    pub fn release(&mut self, fh: u64) {
        self.handles.remove(&fh);
    }

    pub fn create(
        &mut self,
        parent: u64,
        name: &OsStr,
        mode: u32,
        flags: i32,
    ) -> Result<(FileAttr, u64), i32> {
        let path = self.inodes.child(parent, name)?;
        let existed = path.symlink_metadata().is_ok();
        if existed && flags & libc::O_EXCL != 0 {
            return Err(libc::EEXIST);
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            // O_TRUNC of an existing file goes through the journal below.
            .truncate(false)
            .mode(mode)
            .open(&path)
            .map_err(errno)?;
        if !existed {
            self.journal().push(Undo::Created {
                dir: parent,
                path: path.clone(),
                is_dir: false,
            });
        }
        let attr = self.inodes.register(path)?;
        let fh = self.add_handle(attr.ino, file);
        if existed && flags & libc::O_TRUNC != 0 {
            self.set_len(attr.ino, fh, 0)?;
        }
        Ok((attr, fh))
    }

    pub fn mkdir(&mut self, parent: u64, name: &OsStr, mode: u32) -> Result<FileAttr, i32> {
        let path = self.inodes.child(parent, name)?;
        std::fs::create_dir(&path).map_err(errno)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).map_err(errno)?;
        self.journal().push(Undo::Created {
            dir: parent,
            path: path.clone(),
            is_dir: true,
        });
        self.inodes.register(path)
    }

    fn next_trash(&mut self) -> PathBuf {
        self.trash_seq += 1;
        self.trash.join(self.trash_seq.to_string())
    }

    /// unlink and rmdir: the object moves to the trash until the parent directory is fsynced.
    pub fn remove(&mut self, parent: u64, name: &OsStr, is_dir: bool) -> Result<(), i32> {
        let path = self.inodes.child(parent, name)?;
        let meta = path.symlink_metadata().map_err(errno)?;
        if is_dir != meta.is_dir() {
            return Err(if is_dir { libc::ENOTDIR } else { libc::EISDIR });
        }
        if is_dir && std::fs::read_dir(&path).map_err(errno)?.next().is_some() {
            return Err(libc::ENOTEMPTY);
        }
        let trash = self.next_trash();
        std::fs::rename(&path, &trash).map_err(errno)?;
        if let Some(ino) = self.inodes.ino_of(&meta) {
            // Open handles keep working; getattr by inode finds the object in the trash.
            self.inodes.set_path(ino, trash.clone());
        }
        self.journal().push(Undo::Removed {
            dir: parent,
            path,
            trash,
        });
        Ok(())
    }

    pub fn rename(
        &mut self,
        from: (u64, &OsStr),
        to: (u64, &OsStr),
        flags: u32,
    ) -> Result<(), i32> {
        if flags & !libc::RENAME_NOREPLACE != 0 {
            // RENAME_EXCHANGE and RENAME_WHITEOUT are not modelled.
            return Err(libc::EINVAL);
        }
        let from_path = self.inodes.child(from.0, from.1)?;
        let to_path = self.inodes.child(to.0, to.1)?;
        let moving = from_path.symlink_metadata().map_err(errno)?;
        let replaced = match to_path.symlink_metadata() {
            Ok(_) if flags & libc::RENAME_NOREPLACE != 0 => return Err(libc::EEXIST),
            Ok(target) => Some(self.park_replaced(&to_path, &target, moving.is_dir())?),
            Err(_) => None,
        };
        std::fs::rename(&from_path, &to_path).map_err(errno)?;
        self.inodes.moved(&from_path, &to_path);
        let mut dirs = vec![from.0];
        if to.0 != from.0 {
            dirs.push(to.0);
        }
        self.journal().push(Undo::Renamed {
            dirs,
            from: from_path,
            to: to_path,
            replaced,
        });
        Ok(())
    }

    /// Moves the target of a replacing rename to the trash (checking what rename(2) checks).
    fn park_replaced(
        &mut self,
        path: &Path,
        target: &std::fs::Metadata,
        moving_dir: bool,
    ) -> Result<PathBuf, i32> {
        if target.is_dir() != moving_dir {
            return Err(if moving_dir {
                libc::ENOTDIR
            } else {
                libc::EISDIR
            });
        }
        if target.is_dir() && std::fs::read_dir(path).map_err(errno)?.next().is_some() {
            return Err(libc::ENOTEMPTY);
        }
        let trash = self.next_trash();
        std::fs::rename(path, &trash).map_err(errno)?;
        if let Some(ino) = self.inodes.ino_of(target) {
            self.inodes.set_path(ino, trash.clone());
        }
        Ok(trash)
    }

    pub fn read(&mut self, fh: u64, offset: i64, size: u32) -> Result<Vec<u8>, i32> {
        if offset < 0 || size > READ_BYTES_MAX {
            return Err(libc::EINVAL);
        }
        let (_, file) = self.handle(fh)?;
        let mut buf = vec![0u8; size as usize];
        let mut done = 0;
        while done < buf.len() {
            match file.read_at(&mut buf[done..], offset as u64 + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(errno(e)),
            }
        }
        buf.truncate(done);
        Ok(buf)
    }

    /// Saves what `[offset, offset + len)` holds now (the part below the current length).
    fn saved(file: &File, offset: u64, len: u64, file_len: u64) -> Result<Vec<u8>, i32> {
        let end = (offset + len).min(file_len);
        let mut old = vec![0u8; end.saturating_sub(offset) as usize];
        file.read_exact_at(&mut old, offset).map_err(errno)?;
        Ok(old)
    }

    pub fn write(&mut self, fh: u64, offset: i64, data: &[u8]) -> Result<u32, i32> {
        let offset = u64::try_from(offset).map_err(|_| libc::EINVAL)?;
        let (ino, file) = self.handle(fh)?;
        let old_len = file.metadata().map_err(errno)?.len();
        let old = Self::saved(&file, offset, data.len() as u64, old_len)?;
        {
            let mut journal = self.journal();
            if !journal.has_room(old.len()) {
                eprintln!("kraft-powerfs: undo journal full (nothing fsynced for too long)");
                return Err(libc::ENOSPC);
            }
            let entry = Undo::Data {
                ino,
                file: file.clone(),
                offset,
                old,
                old_len,
            };
            journal.push(entry);
        }
        file.write_all_at(data, offset).map_err(errno)?;
        u32::try_from(data.len()).map_err(|_| libc::EINVAL)
    }

    /// truncate/ftruncate: a length change, durable by fsync of the file like a write.
    pub fn set_len(&mut self, ino: u64, fh: u64, len: u64) -> Result<(), i32> {
        let (_, file) = self.handle(fh)?;
        let old_len = file.metadata().map_err(errno)?.len();
        let old = Self::saved(&file, len, old_len.saturating_sub(len), old_len)?;
        {
            let mut journal = self.journal();
            if !journal.has_room(old.len()) {
                return Err(libc::ENOSPC);
            }
            journal.push(Undo::Data {
                ino,
                file: file.clone(),
                offset: len,
                old,
                old_len,
            });
        }
        file.set_len(len).map_err(errno)
    }

    /// A temporary handle for setattr without one (truncate by path).
    pub fn with_handle<T>(
        &mut self,
        ino: u64,
        fh: Option<u64>,
        f: impl FnOnce(&mut Self, u64) -> Result<T, i32>,
    ) -> Result<T, i32> {
        if let Some(fh) = fh.filter(|fh| self.handles.contains_key(fh)) {
            return f(self, fh);
        }
        let fh = self.open(ino, libc::O_RDWR)?;
        let result = f(self, fh);
        self.release(fh);
        result
    }

    /// fallocate: mode 0 (may grow the file: journalled as a length change) and KEEP_SIZE (no
    /// visible change); holes and ranges are not modelled.
    pub fn fallocate(&mut self, fh: u64, offset: i64, length: i64, mode: i32) -> Result<(), i32> {
        if mode != 0 && mode != libc::FALLOC_FL_KEEP_SIZE {
            return Err(libc::EOPNOTSUPP);
        }
        let (ino, file) = self.handle(fh)?;
        let old_len = file.metadata().map_err(errno)?.len();
        let end = offset.checked_add(length).ok_or(libc::EINVAL)?;
        if mode == 0 && end as u64 > old_len {
            self.journal().push(Undo::Data {
                ino,
                file: file.clone(),
                offset: old_len,
                old: Vec::new(),
                old_len,
            });
        }
        // SAFETY: plain syscall on a descriptor `file` owns.
        let rc = unsafe { libc::fallocate(file.as_raw_fd(), mode, offset, length) };
        if rc == 0 {
            Ok(())
        } else {
            Err(errno(std::io::Error::last_os_error()))
        }
    }
}
