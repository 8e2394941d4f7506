//! Mounting the file system, cutting its power, and unmounting it.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use fuser::{BackgroundSession, MountOption};

use crate::error::PowerFsError;
use crate::journal::{CutReport, Journal};
use crate::ops::PowerFs;
use crate::trip::Trip;

/// How long an unmount may take to end the session (every file under the mount closed).
const UNMOUNT_WAIT_MS: u64 = 10_000;

/// One mounted power-loss file system over a backing directory. Dropping it unmounts cleanly
/// (everything written is kept, like an orderly shutdown).
pub struct Mount {
    mountpoint: PathBuf,
    session: Option<BackgroundSession>,
    journal: Arc<Mutex<Journal>>,
    trip: Arc<Mutex<Trip>>,
}

impl std::fmt::Debug for Mount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mount")
            .field("mountpoint", &self.mountpoint)
            .field("mounted", &self.session.is_some())
            .finish()
    }
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> PowerFsError + 'a {
    move |source| PowerFsError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// Where removed objects of `backing` wait until the removal is durable: a sibling directory,
/// so that moving them there is a rename on the same file system.
pub fn trash_dir(backing: &Path) -> PathBuf {
    let mut name = backing.as_os_str().to_os_string();
    name.push(".powerfs-trash");
    PathBuf::from(name)
}

impl Mount {
    /// Mounts `backing` at `mountpoint` (both created if missing). Needs /dev/fuse and the right
    /// to mount (root, or the `fusermount3` helper).
    pub fn start(backing: &Path, mountpoint: &Path) -> Result<Mount, PowerFsError> {
        if !Path::new("/dev/fuse").exists() {
            return Err(PowerFsError::Unavailable {
                reason: "/dev/fuse does not exist".into(),
            });
        }
        std::fs::create_dir_all(backing).map_err(io("create", backing))?;
        std::fs::create_dir_all(mountpoint).map_err(io("create", mountpoint))?;
        let backing = backing.canonicalize().map_err(io("resolve", backing))?;
        let journal = Arc::new(Mutex::new(Journal::default()));
        let trip = Arc::new(Mutex::new(Trip::default()));
        let fs = PowerFs::new(
            &backing,
            &trash_dir(&backing),
            journal.clone(),
            trip.clone(),
        )
        .map_err(io("open backing directory", &backing))?;
        let options = [
            MountOption::FSName("kraft-powerfs".into()),
            MountOption::RW,
            MountOption::Exec,
        ];
        let session = fuser::spawn_mount2(fs, mountpoint, &options).map_err(|e| {
            PowerFsError::Unavailable {
                reason: format!("mount at {}: {e}", mountpoint.display()),
            }
        })?;
        Ok(Mount {
            mountpoint: mountpoint.to_path_buf(),
            session: Some(session),
            journal,
            trip,
        })
    }

    pub fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }

    /// Arms the trip wire on file name `name` (see [`crate::trip`]).
    pub fn arm_trip(&self, name: &str) {
        let mut trip = self.trip.lock().unwrap_or_else(|p| p.into_inner());
        trip.arm(std::ffi::OsStr::new(name));
    }

    /// Arms the trip wire on every file name ending with `suffix` (see [`crate::trip`]).
    pub fn arm_trip_suffix(&self, suffix: &str) {
        let mut trip = self.trip.lock().unwrap_or_else(|p| p.into_inner());
        trip.arm_suffix(std::ffi::OsStr::new(suffix));
    }

    /// Whether the trip wire fired: from then on every mutating request fails with EIO.
    pub fn tripped(&self) -> bool {
        self.trip
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .tripped()
    }

    /// Undo entries waiting for a sync (writes, length changes, names).
    pub fn pending(&self) -> usize {
        self.journal.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// The power cut: the mount goes away and every change not made durable by a sync is taken
    /// back in the backing directory. Processes using the mount must be dead already (SIGKILL
    /// and reaped): the cut waits for their files to be closed.
    pub fn power_cut(mut self) -> Result<CutReport, PowerFsError> {
        self.stop()?;
        let report = self.journal.lock().unwrap_or_else(|p| p.into_inner()).cut();
        Ok(report)
    }

    /// An orderly unmount: everything written is kept.
    pub fn unmount(mut self) -> Result<(), PowerFsError> {
        self.stop()?;
        self.journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .sync_all();
        Ok(())
    }

    /// Detaches the mount and waits (bounded) for the session to end, i.e. for the last file
    /// under it to close; after that no request can reach the journal.
    fn stop(&mut self) -> Result<(), PowerFsError> {
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        let c_path = CString::new(self.mountpoint.as_os_str().as_bytes()).map_err(|_| {
            PowerFsError::Unavailable {
                reason: "mount point contains a NUL byte".into(),
            }
        })?;
        // SAFETY: umount2 on a valid C string; MNT_DETACH never blocks.
        let rc = unsafe { libc::umount2(c_path.as_ptr(), libc::MNT_DETACH) };
        if rc != 0 {
            return Err(io("unmount", &self.mountpoint)(
                std::io::Error::last_os_error(),
            ));
        }
        let (done, ended) = mpsc::channel();
        std::thread::spawn(move || {
            session.join();
            let _ = done.send(());
        });
        ended
            .recv_timeout(Duration::from_millis(UNMOUNT_WAIT_MS))
            .map_err(|_| PowerFsError::Busy {
                mountpoint: self.mountpoint.clone(),
                waited_ms: UNMOUNT_WAIT_MS,
            })
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        if self.session.is_some() {
            if let Err(e) = self.stop() {
                eprintln!("kraft-powerfs: unmount on drop: {e}");
            }
            self.journal
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .sync_all();
        }
    }
}
