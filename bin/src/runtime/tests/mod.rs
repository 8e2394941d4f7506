//! Deterministic tests of the runtime's roles and links on a real glommio executor: each one
//! reproduces a hazard of the runtime (issue 13) and fails if it comes back.

mod links;
mod links_shared;
mod peers;
mod persist;

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use kraft_records::BatchBuilder;

/// How long a step that should complete at once may take before the test calls it stuck: the
/// watchdog turns a hang into a failure.
pub const WATCHDOG: Duration = Duration::from_secs(5);

/// Runs `body` on a fresh single-threaded glommio executor (the roles' habitat) and returns its
/// result.
pub fn on_executor<F, Fut, T>(body: F) -> T
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + 'static,
    T: Send + 'static,
{
    glommio::LocalExecutorBuilder::new(glommio::Placement::Unbound)
        .name("runtime-test")
        .spawn(body)
        .expect("a glommio executor starts")
        .join()
        .expect("the test executor does not panic")
}

/// `future`'s output, or `Err(what)` if it has not completed within [`WATCHDOG`].
pub async fn within_watchdog<T>(what: &str, future: impl Future<Output = T>) -> Result<T, String> {
    glommio::timer::timeout(WATCHDOG, async { Ok(future.await) })
        .await
        .map_err(|_| format!("{what}: not done after {WATCHDOG:?} (stuck)"))
}

/// One record batch of `epoch` at `base_offset` (a single 16-byte record whose bytes are the
/// epoch), for the roles' log and network tests.
pub fn batch(base_offset: i64, epoch: i32) -> Bytes {
    let mut buf = Vec::new();
    let mut builder = BatchBuilder::new(&mut buf, base_offset, epoch, 0);
    builder.append_value(&[epoch as u8; 16]);
    builder.finish();
    Bytes::from(buf)
}
