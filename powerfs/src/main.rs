//! `kraft-powerfs BACKING MOUNTPOINT`: mounts the power-loss file system until a signal.
//! SIGUSR1 cuts the power (every unsynced change is dropped, then the mount goes away);
//! SIGTERM or SIGINT unmounts cleanly (everything kept). Prints one line per event on stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use kraft_powerfs::Mount;

fn wait_for_signal() -> i32 {
    // SAFETY: sigset manipulation and sigwait on a set of this thread; signals were blocked
    // before any other thread started, so they are delivered only here.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in [libc::SIGUSR1, libc::SIGTERM, libc::SIGINT] {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        let mut got = 0;
        libc::sigwait(&set, &mut got);
        got
    }
}

fn block_signals() {
    // SAFETY: as above; called first thing in main, before the FUSE session thread exists.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in [libc::SIGUSR1, libc::SIGTERM, libc::SIGINT] {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

fn main() -> ExitCode {
    block_signals();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [backing, mountpoint] = args.as_slice() else {
        eprintln!("usage: kraft-powerfs BACKING MOUNTPOINT (SIGUSR1: power cut, SIGTERM: unmount)");
        return ExitCode::from(2);
    };
    let mount = match Mount::start(&PathBuf::from(backing), &PathBuf::from(mountpoint)) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("kraft-powerfs: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("mounted {mountpoint}");
    let result = if wait_for_signal() == libc::SIGUSR1 {
        mount.power_cut().map(|r| {
            println!(
                "power cut: {} data and {} name changes dropped, {} failures",
                r.data_undone, r.names_undone, r.failures
            )
        })
    } else {
        mount.unmount().map(|()| println!("unmounted"))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kraft-powerfs: {e}");
            ExitCode::FAILURE
        }
    }
}
