//! The FUSE binding: each request maps onto an operation of [`PowerFs`] and its errno.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime};

use fuser::{
    FileType, Filesystem, KernelConfig, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory,
    ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow,
};

use crate::inodes::errno;
use crate::ops::PowerFs;
use crate::trip::Op;

/// Attributes and names are cached by the kernel this long. Every change goes through this mount,
/// and a power cut remounts, so the kernel's caches never outlive the state they describe.
const TTL: Duration = Duration::from_secs(1);

fn to_time(t: TimeOrNow) -> SystemTime {
    match t {
        TimeOrNow::SpecificTime(t) => t,
        TimeOrNow::Now => SystemTime::now(),
    }
}

impl PowerFs {
    #[allow(clippy::too_many_arguments)]
    fn setattr_inner(
        &mut self,
        ino: u64,
        mode: Option<u32>,
        owner: (Option<u32>, Option<u32>),
        size: Option<u64>,
        times: (Option<TimeOrNow>, Option<TimeOrNow>),
        fh: Option<u64>,
    ) -> Result<fuser::FileAttr, i32> {
        if let Some(len) = size {
            self.with_handle(ino, fh, |fs, fh| fs.set_len(ino, fh, len))?;
        }
        let path = self.inodes.path(ino)?.to_path_buf();
        if let Some(mode) = mode {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o7777))
                .map_err(errno)?;
        }
        if owner.0.is_some() || owner.1.is_some() {
            std::os::unix::fs::lchown(&path, owner.0, owner.1).map_err(errno)?;
        }
        if times.0.is_some() || times.1.is_some() {
            let mut file_times = std::fs::FileTimes::new();
            if let Some(atime) = times.0 {
                file_times = file_times.set_accessed(to_time(atime));
            }
            if let Some(mtime) = times.1 {
                file_times = file_times.set_modified(to_time(mtime));
            }
            let file = std::fs::File::open(&path).map_err(errno)?;
            file.set_times(file_times).map_err(errno)?;
        }
        self.getattr(ino, fh)
    }

    fn readdir_inner(
        &mut self,
        ino: u64,
        offset: i64,
        reply: &mut ReplyDirectory,
    ) -> Result<(), i32> {
        let path = self.inodes.path(ino)?.to_path_buf();
        let mut names: Vec<(u64, FileType, std::ffi::OsString)> = vec![
            (ino, FileType::Directory, ".".into()),
            (ino, FileType::Directory, "..".into()),
        ];
        for entry in std::fs::read_dir(&path).map_err(errno)? {
            let entry = entry.map_err(errno)?;
            let meta = entry.metadata().map_err(errno)?;
            let Some(child) = self.inodes.ino_of(&meta) else {
                continue;
            };
            let kind = if meta.is_dir() {
                FileType::Directory
            } else {
                FileType::RegularFile
            };
            names.push((child, kind, entry.file_name()));
        }
        // Offsets are positions in this listing; the kernel resumes after the last one it got.
        let skip = usize::try_from(offset).map_err(|_| libc::EINVAL)?;
        for (i, (child, kind, name)) in names.into_iter().enumerate().skip(skip) {
            if reply.add(child, i as i64 + 1, kind, name) {
                break;
            }
        }
        Ok(())
    }
}

impl Filesystem for PowerFs {
    fn init(&mut self, _req: &Request<'_>, _config: &mut KernelConfig) -> Result<(), i32> {
        Ok(())
    }

    fn lookup(&mut self, _req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEntry) {
        let result = self
            .inodes
            .child(parent, name)
            .and_then(|p| self.inodes.register(p));
        match result {
            Ok(attr) => reply.entry(&TTL, &attr, 0),
            Err(e) => reply.error(e),
        }
    }

    fn getattr(&mut self, _req: &Request<'_>, ino: u64, fh: Option<u64>, reply: ReplyAttr) {
        match PowerFs::getattr(self, ino, fh) {
            Ok(attr) => reply.attr(&TTL, &attr),
            Err(e) => reply.error(e),
        }
    }

    fn setattr(
        &mut self,
        req: &Request<'_>,
        ino: u64,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        fh: Option<u64>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<u32>,
        reply: ReplyAttr,
    ) {
        if !self.allows(req.pid(), Op::Other) {
            return reply.error(libc::EIO);
        }
        match self.setattr_inner(ino, mode, (uid, gid), size, (atime, mtime), fh) {
            Ok(attr) => reply.attr(&TTL, &attr),
            Err(e) => reply.error(e),
        }
    }

    fn mknod(
        &mut self,
        req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        if !self.allows(req.pid(), Op::Other) {
            return reply.error(libc::EIO);
        }
        if mode & libc::S_IFMT != libc::S_IFREG {
            return reply.error(libc::EPERM);
        }
        let flags = libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY;
        match self.create(parent, name, mode & !umask & 0o7777, flags) {
            Ok((attr, fh)) => {
                self.release(fh);
                reply.entry(&TTL, &attr, 0)
            }
            Err(e) => reply.error(e),
        }
    }

    fn mkdir(
        &mut self,
        req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        if !self.allows(req.pid(), Op::Other) {
            return reply.error(libc::EIO);
        }
        match PowerFs::mkdir(self, parent, name, mode & !umask & 0o7777) {
            Ok(attr) => reply.entry(&TTL, &attr, 0),
            Err(e) => reply.error(e),
        }
    }

    fn unlink(&mut self, req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEmpty) {
        if !self.allows(req.pid(), Op::Other) {
            return reply.error(libc::EIO);
        }
        match self.remove(parent, name, false) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rmdir(&mut self, req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEmpty) {
        if !self.allows(req.pid(), Op::Other) {
            return reply.error(libc::EIO);
        }
        match self.remove(parent, name, true) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rename(
        &mut self,
        req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        newparent: u64,
        newname: &OsStr,
        flags: u32,
        reply: ReplyEmpty,
    ) {
        if !self.allows(req.pid(), Op::Other) {
            return reply.error(libc::EIO);
        }
        match PowerFs::rename(self, (parent, name), (newparent, newname), flags) {
            Ok(()) => {
                self.renamed(req.pid(), newparent, newname);
                reply.ok()
            }
            Err(e) => reply.error(e),
        }
    }

    fn open(&mut self, _req: &Request<'_>, ino: u64, flags: i32, reply: ReplyOpen) {
        // No FOPEN_KEEP_CACHE: each open drops the kernel's cached pages of the file.
        match PowerFs::open(self, ino, flags) {
            Ok(fh) => reply.opened(fh, 0),
            Err(e) => reply.error(e),
        }
    }

    fn read(
        &mut self,
        _req: &Request<'_>,
        _ino: u64,
        fh: u64,
        offset: i64,
        size: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyData,
    ) {
        match PowerFs::read(self, fh, offset, size) {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(e),
        }
    }

    fn write(
        &mut self,
        req: &Request<'_>,
        _ino: u64,
        fh: u64,
        offset: i64,
        data: &[u8],
        _write_flags: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyWrite,
    ) {
        if !self.allows(req.pid(), Op::Other) {
            return reply.error(libc::EIO);
        }
        match PowerFs::write(self, fh, offset, data) {
            Ok(n) => reply.written(n),
            Err(e) => reply.error(e),
        }
    }

    fn flush(&mut self, _req: &Request<'_>, _ino: u64, _fh: u64, _owner: u64, reply: ReplyEmpty) {
        // close(2) makes nothing durable.
        reply.ok();
    }

    fn release(
        &mut self,
        _req: &Request<'_>,
        _ino: u64,
        fh: u64,
        _flags: i32,
        _lock_owner: Option<u64>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        PowerFs::release(self, fh);
        reply.ok();
    }

    fn fsync(&mut self, req: &Request<'_>, ino: u64, _fh: u64, _datasync: bool, reply: ReplyEmpty) {
        if !self.allows(req.pid(), Op::Other) {
            return reply.error(libc::EIO);
        }
        // fsync and fdatasync alike make the file's data and length durable (timestamps are not
        // modelled); neither makes the file's name durable: that takes an fsync of the parent.
        self.journal().sync_file(ino);
        reply.ok();
    }

    fn readdir(
        &mut self,
        _req: &Request<'_>,
        ino: u64,
        _fh: u64,
        offset: i64,
        mut reply: ReplyDirectory,
    ) {
        match self.readdir_inner(ino, offset, &mut reply) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn fsyncdir(&mut self, req: &Request<'_>, ino: u64, _fh: u64, _ds: bool, reply: ReplyEmpty) {
        if !self.allows(req.pid(), Op::FsyncDir(ino)) {
            return reply.error(libc::EIO);
        }
        self.journal().sync_dir(ino);
        reply.ok();
    }

    fn statfs(&mut self, _req: &Request<'_>, _ino: u64, reply: ReplyStatfs) {
        match statvfs(
            self.inodes
                .path(crate::inodes::ROOT_INO)
                .map(|p| p.to_path_buf()),
        ) {
            Ok(s) => reply.statfs(
                s.f_blocks,
                s.f_bfree,
                s.f_bavail,
                s.f_files,
                s.f_ffree,
                s.f_bsize as u32,
                s.f_namemax as u32,
                s.f_frsize as u32,
            ),
            Err(e) => reply.error(e),
        }
    }

    fn create(
        &mut self,
        req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        mode: u32,
        umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        if !self.allows(req.pid(), Op::Other) {
            return reply.error(libc::EIO);
        }
        match PowerFs::create(self, parent, name, mode & !umask & 0o7777, flags) {
            Ok((attr, fh)) => reply.created(&TTL, &attr, 0, fh, 0),
            Err(e) => reply.error(e),
        }
    }

    fn fallocate(
        &mut self,
        req: &Request<'_>,
        _ino: u64,
        fh: u64,
        offset: i64,
        length: i64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        if !self.allows(req.pid(), Op::Other) {
            return reply.error(libc::EIO);
        }
        match PowerFs::fallocate(self, fh, offset, length, mode) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }
}

fn statvfs(root: Result<std::path::PathBuf, i32>) -> Result<libc::statvfs, i32> {
    use std::os::unix::ffi::OsStrExt;
    let root = root?;
    let c_path = std::ffi::CString::new(root.as_os_str().as_bytes()).map_err(|_| libc::EINVAL)?;
    // SAFETY: statvfs fills the zeroed struct; the path is a valid C string.
    let mut out: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut out) };
    if rc == 0 {
        Ok(out)
    } else {
        Err(errno(std::io::Error::last_os_error()))
    }
}
