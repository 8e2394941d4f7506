//! SIGINT/SIGTERM become a flag the Raft loop polls: the node then resigns, flushes and exits 0.
//!
//! The signals are blocked in every thread (the mask is inherited by the executors' threads) and
//! taken synchronously by one small thread with `sigwait`, so no async-signal-safety rules apply.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Blocks SIGINT and SIGTERM in the calling thread (call before spawning any thread) and starts
/// the thread that turns them into `flag`.
pub fn install(flag: Arc<AtomicBool>) -> std::io::Result<()> {
    // SAFETY: plain libc calls on a stack-owned sigset.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if rc != 0 {
            return Err(std::io::Error::from_raw_os_error(rc));
        }
        set
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || loop {
            let mut signal: libc::c_int = 0;
            // SAFETY: `set` is a valid, initialised sigset owned by this closure.
            let rc = unsafe { libc::sigwait(&set, &mut signal) };
            if rc == 0 {
                tracing::info!(signal, "shutdown requested");
                flag.store(true, Ordering::Release);
            }
        })?;
    Ok(())
}
