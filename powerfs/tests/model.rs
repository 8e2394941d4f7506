//! The durability model on a real mount: what a power cut keeps and what it drops. Needs
//! /dev/fuse and the right to mount; skips loudly without them (fails when
//! KRAFT_INTEROP_REQUIRED=1, as CI sets).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use kraft_powerfs::{Mount, PowerFsError};

fn mount_or_skip(backing: &Path, mountpoint: &Path) -> Option<Mount> {
    match Mount::start(backing, mountpoint) {
        Ok(m) => Some(m),
        Err(PowerFsError::Unavailable { reason }) => {
            let message = format!("SKIPPED: kraft-powerfs cannot mount here ({reason})");
            if std::env::var("KRAFT_INTEROP_REQUIRED").as_deref() == Ok("1") {
                panic!("{message}, and KRAFT_INTEROP_REQUIRED=1");
            }
            // Straight to stderr: libtest captures eprintln! of passing tests.
            let _ = writeln!(std::io::stderr().lock(), "\n*** {message} ***\n");
            None
        }
        Err(e) => panic!("mount: {e}"),
    }
}

fn fsync_dir(dir: &Path) {
    File::open(dir).unwrap().sync_all().unwrap();
}

#[test]
fn power_cut_keeps_synced_state_and_drops_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let (backing, mnt) = (tmp.path().join("backing"), tmp.path().join("mnt"));
    let Some(mount) = mount_or_skip(&backing, &mnt) else {
        return;
    };
    let durable = mnt.join("durable");
    // A file whose data is fsynced but whose name never is (its directory is durable).
    std::fs::create_dir(mnt.join("sub")).unwrap();
    fsync_dir(&mnt);
    let lost_name = mnt.join("sub/lost-name");
    {
        // A file with a durable name and durable first bytes, then unsynced bytes after them and
        // over them.
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&durable)
            .unwrap();
        file.write_all_at(b"synced-bytes", 0).unwrap();
        file.sync_data().unwrap();
        fsync_dir(&mnt);
        file.write_all_at(b"-unsynced-tail", 12).unwrap();
        file.write_all_at(b"SYNCED", 0).unwrap();
        // Readers through the mount, mmap included, see the latest bytes meanwhile.
        let map = unsafe { memmap(&file, 26) };
        assert_eq!(&map[..], b"SYNCED-bytes-unsynced-tail");
        let other = File::create(&lost_name).unwrap();
        other.write_all_at(b"data", 0).unwrap();
        other.sync_all().unwrap();
    }
    // The quorum-state pattern: temp file, fsync, rename over, fsync directory: durable.
    std::fs::write(mnt.join("state"), b"old").unwrap();
    File::open(mnt.join("state")).unwrap().sync_all().unwrap();
    std::fs::write(mnt.join("state.tmp"), b"new").unwrap();
    File::open(mnt.join("state.tmp"))
        .unwrap()
        .sync_all()
        .unwrap();
    std::fs::rename(mnt.join("state.tmp"), mnt.join("state")).unwrap();
    fsync_dir(&mnt);
    // The same without the directory fsync: the rename is lost, the old file is back.
    std::fs::write(mnt.join("state2"), b"old2").unwrap();
    File::open(mnt.join("state2")).unwrap().sync_all().unwrap();
    fsync_dir(&mnt);
    std::fs::write(mnt.join("state2.tmp"), b"new2").unwrap();
    File::open(mnt.join("state2.tmp"))
        .unwrap()
        .sync_all()
        .unwrap();
    std::fs::rename(mnt.join("state2.tmp"), mnt.join("state2")).unwrap();
    assert!(mount.pending() > 0);

    let report = mount.power_cut().expect("power cut");
    assert_eq!(report.failures, 0, "{report:?}");
    assert!(
        report.data_undone >= 2 && report.names_undone >= 2,
        "{report:?}"
    );

    let mount = Mount::start(&backing, &mnt).expect("remount");
    assert_eq!(std::fs::read(&durable).unwrap(), b"synced-bytes");
    assert!(
        !lost_name.exists(),
        "a name without a directory fsync survived"
    );
    assert_eq!(std::fs::read(mnt.join("state")).unwrap(), b"new");
    assert_eq!(std::fs::read(mnt.join("state2")).unwrap(), b"old2");
    assert!(!mnt.join("state2.tmp").exists());
    mount.unmount().expect("unmount");
}

/// A read-only shared mapping of the first `len` bytes (what the segment log's readers use).
unsafe fn memmap(file: &File, len: usize) -> Vec<u8> {
    use std::os::unix::io::AsRawFd;
    let ptr = libc::mmap(
        std::ptr::null_mut(),
        len,
        libc::PROT_READ,
        libc::MAP_SHARED,
        file.as_raw_fd(),
        0,
    );
    assert_ne!(ptr, libc::MAP_FAILED, "mmap through the mount");
    let out = std::slice::from_raw_parts(ptr as *const u8, len).to_vec();
    libc::munmap(ptr, len);
    out
}

#[test]
fn clean_unmount_keeps_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let (backing, mnt) = (tmp.path().join("backing"), tmp.path().join("mnt"));
    let Some(mount) = mount_or_skip(&backing, &mnt) else {
        return;
    };
    std::fs::create_dir(mnt.join("dir")).unwrap();
    std::fs::write(mnt.join("dir/file"), b"never synced").unwrap();
    mount.unmount().expect("unmount");
    assert_eq!(
        std::fs::read(backing.join("dir/file")).unwrap(),
        b"never synced"
    );
}

/// Replaces `name` in `dir` the way the server writes quorum-state: temp file, fsync, rename,
/// and (when `fsync_parent`) an fsync of the directory.
fn replace(dir: &Path, name: &str, bytes: &[u8], fsync_parent: bool) {
    let tmp = dir.join(format!("{name}.tmp"));
    let mut file = File::create(&tmp).unwrap();
    file.write_all(bytes).unwrap();
    file.sync_all().unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
    if fsync_parent {
        fsync_dir(dir);
    }
}

#[test]
fn trip_wire_fails_the_power_when_a_replace_is_left_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let (backing, mnt) = (tmp.path().join("backing"), tmp.path().join("mnt"));
    let Some(mount) = mount_or_skip(&backing, &mnt) else {
        return;
    };
    replace(&mnt, "state", b"one", true);
    mount.arm_trip("state");
    // A complete replace: the directory fsync gets through, then the power fails.
    replace(&mnt, "state", b"two", true);
    assert!(mount.tripped());
    let refused = std::fs::write(mnt.join("other"), b"x").unwrap_err();
    assert_eq!(refused.raw_os_error(), Some(libc::EIO));
    assert_eq!(
        std::fs::read(mnt.join("state")).unwrap(),
        b"two",
        "reads still work"
    );
    mount.power_cut().expect("power cut");
    let mount = Mount::start(&backing, &mnt).expect("remount");
    assert_eq!(std::fs::read(mnt.join("state")).unwrap(), b"two");
    assert!(!mnt.join("other").exists());

    // A replace without the directory fsync: the next request trips the wire, unapplied, and
    // the cut brings the old state back although the new one was visible.
    mount.arm_trip("state");
    replace(&mnt, "state", b"three", false);
    assert!(!mount.tripped(), "the rename alone does not trip");
    assert!(std::fs::write(mnt.join("after"), b"x").is_err());
    assert!(mount.tripped());
    assert_eq!(std::fs::read(mnt.join("state")).unwrap(), b"three");
    mount.power_cut().expect("power cut");
    let mount = Mount::start(&backing, &mnt).expect("remount");
    assert_eq!(std::fs::read(mnt.join("state")).unwrap(), b"two");
    mount.unmount().expect("unmount");
}
