//! The inode table: FUSE inode numbers are the backing files' own (the backing root is inode 1,
//! as FUSE requires), mapped to the backing path they currently have.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::Metadata;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fuser::{FileAttr, FileType};

pub const ROOT_INO: u64 = 1;

#[derive(Debug)]
pub struct Inodes {
    root_st_ino: u64,
    paths: HashMap<u64, PathBuf>,
}

impl Inodes {
    pub fn new(root: &Path) -> std::io::Result<Inodes> {
        let meta = std::fs::metadata(root)?;
        let mut paths = HashMap::new();
        paths.insert(ROOT_INO, root.to_path_buf());
        Ok(Inodes {
            root_st_ino: meta.ino(),
            paths,
        })
    }

    /// The FUSE inode of a backing file (`None` for the one number FUSE reserves for the root).
    pub fn ino_of(&self, meta: &Metadata) -> Option<u64> {
        match meta.ino() {
            st if st == self.root_st_ino => Some(ROOT_INO),
            ROOT_INO => None,
            st => Some(st),
        }
    }

    pub fn path(&self, ino: u64) -> Result<&Path, i32> {
        self.paths
            .get(&ino)
            .map(PathBuf::as_path)
            .ok_or(libc::ESTALE)
    }

    pub fn child(&self, parent: u64, name: &OsStr) -> Result<PathBuf, i32> {
        Ok(self.path(parent)?.join(name))
    }

    /// Stats `path` and remembers it under its inode.
    pub fn register(&mut self, path: PathBuf) -> Result<FileAttr, i32> {
        let meta = std::fs::symlink_metadata(&path).map_err(errno)?;
        let ino = self.ino_of(&meta).ok_or(libc::EIO)?;
        self.paths.insert(ino, path);
        attr(ino, &meta)
    }

    pub fn set_path(&mut self, ino: u64, path: PathBuf) {
        self.paths.insert(ino, path);
    }

    /// After a rename: every inode at or below `from` now lives at or below `to`.
    pub fn moved(&mut self, from: &Path, to: &Path) {
        for path in self.paths.values_mut() {
            if let Ok(rest) = path.strip_prefix(from) {
                *path = if rest.as_os_str().is_empty() {
                    to.to_path_buf()
                } else {
                    to.join(rest)
                };
            }
        }
    }
}

pub fn errno(e: std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

fn time(secs: i64, nanos: i64) -> SystemTime {
    let nanos = Duration::from_nanos(nanos.clamp(0, 999_999_999) as u64);
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs as u64) + nanos
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) + nanos
    }
}

/// The FUSE attributes of a backing file under inode `ino`.
pub fn attr(ino: u64, meta: &Metadata) -> Result<FileAttr, i32> {
    let file_type = meta.file_type();
    let kind = if file_type.is_dir() {
        FileType::Directory
    } else if file_type.is_file() {
        FileType::RegularFile
    } else if file_type.is_symlink() {
        FileType::Symlink
    } else if file_type.is_fifo() {
        FileType::NamedPipe
    } else {
        // Devices and sockets are never created through the mount (mknod refuses them).
        return Err(libc::EIO);
    };
    Ok(FileAttr {
        ino,
        size: meta.size(),
        blocks: meta.blocks(),
        atime: time(meta.atime(), meta.atime_nsec()),
        mtime: time(meta.mtime(), meta.mtime_nsec()),
        ctime: time(meta.ctime(), meta.ctime_nsec()),
        crtime: UNIX_EPOCH,
        kind,
        perm: (meta.mode() & 0o7777) as u16,
        nlink: meta.nlink() as u32,
        uid: meta.uid(),
        gid: meta.gid(),
        rdev: meta.rdev() as u32,
        blksize: meta.blksize() as u32,
        flags: 0,
    })
}
