//! The hardware floor: raw write+fdatasync, loopback TCP round trip, memcpy bandwidth.

use crate::print::new_histogram_ns;
use hdrhistogram::Histogram;
use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

/// Bound of each loopback read: a round trip takes microseconds, so a read that waits this long
/// means the other side is gone, and the measurement fails instead of hanging.
const RTT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Appends `size_bytes` with `write` then `fdatasync`, `iterations` times, to a fresh file in
/// `dir`; returns the latency of each write+fdatasync pair.
pub fn write_fdatasync(
    dir: &Path,
    size_bytes: usize,
    iterations: usize,
) -> io::Result<Histogram<u64>> {
    assert!(iterations > 0 && size_bytes > 0);
    let path = dir.join(format!(
        "floor-fdatasync-{}-{size_bytes}.tmp",
        std::process::id()
    ));
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)?;
    let block = vec![0x5Au8; size_bytes];
    let mut h = new_histogram_ns();
    for _ in 0..iterations {
        let start = Instant::now();
        file.write_all(&block)?;
        // SAFETY: the fd is owned by `file` and stays open for the call.
        if unsafe { libc::fdatasync(file.as_raw_fd()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        h.saturating_record(start.elapsed().as_nanos() as u64);
    }
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(h)
}

/// Ping-pong of `size_bytes` over loopback TCP (Nagle off), `iterations` round trips.
pub fn loopback_rtt(size_bytes: usize, iterations: usize) -> io::Result<Histogram<u64>> {
    assert!(iterations > 0 && size_bytes > 0);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let echo = std::thread::spawn(move || -> io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(RTT_READ_TIMEOUT))?;
        let mut buf = vec![0u8; size_bytes];
        for _ in 0..iterations {
            stream.read_exact(&mut buf).map_err(awaiting("the ping"))?;
            stream.write_all(&buf)?;
        }
        Ok(())
    });
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(RTT_READ_TIMEOUT))?;
    let mut buf = vec![7u8; size_bytes];
    let mut h = new_histogram_ns();
    for _ in 0..iterations {
        let start = Instant::now();
        stream.write_all(&buf)?;
        stream.read_exact(&mut buf).map_err(awaiting("the echo"))?;
        h.saturating_record(start.elapsed().as_nanos() as u64);
    }
    echo.join()
        .map_err(|_| io::Error::other("echo thread panicked"))??;
    Ok(h)
}

/// Names the awaited message in a read's error (a timeout shows as `WouldBlock` on Linux).
fn awaiting(what: &'static str) -> impl Fn(io::Error) -> io::Error {
    move |e| io::Error::new(e.kind(), format!("waiting for {what} over loopback: {e}"))
}

/// memcpy bandwidth in bytes/s, copying a `size_bytes` buffer `rounds` times (best round).
pub fn memcpy_bandwidth(size_bytes: usize, rounds: usize) -> f64 {
    assert!(rounds > 0 && size_bytes > 0);
    let src = vec![1u8; size_bytes];
    let mut dst = vec![0u8; size_bytes];
    let mut best_ns = u128::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        dst.copy_from_slice(std::hint::black_box(&src));
        std::hint::black_box(&mut dst);
        best_ns = best_ns.min(start.elapsed().as_nanos().max(1));
    }
    size_bytes as f64 * 1e9 / best_ns as f64
}

/// Sequential write bandwidth with one fdatasync at the end, bytes/s (through the page cache).
pub fn sequential_write_bandwidth(
    dir: &Path,
    total_bytes: usize,
    chunk_bytes: usize,
) -> io::Result<f64> {
    let path = dir.join(format!("floor-seq-{}.tmp", std::process::id()));
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)?;
    timed_sequential_write(file, &path, &vec![0xA5u8; chunk_bytes], total_bytes)
}

/// The device's sequential write bandwidth, bytes/s: `total_bytes` in `chunk_bytes` writes with
/// O_DIRECT (no page cache), then one fdatasync. Unlike a buffered run it does not depend on the
/// state of the page cache, which on this VM swings a buffered 256 MiB run from ~450 MB/s (fresh
/// memory: the host backs each new page on first touch) to ~2 GB/s (recycled pages).
pub fn sequential_write_direct(
    dir: &Path,
    total_bytes: usize,
    chunk_bytes: usize,
) -> io::Result<f64> {
    use std::os::unix::fs::OpenOptionsExt;
    const ALIGN: usize = 4096;
    assert!(chunk_bytes > 0 && chunk_bytes.is_multiple_of(ALIGN));
    let path = dir.join(format!("floor-direct-{}.tmp", std::process::id()));
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(&path)?;
    // O_DIRECT needs an aligned buffer: over-allocate and start at the first aligned byte.
    let backing = vec![0xA5u8; chunk_bytes + ALIGN];
    let skip = backing.as_ptr().align_offset(ALIGN);
    timed_sequential_write(file, &path, &backing[skip..skip + chunk_bytes], total_bytes)
}

/// Writes `chunk` back to back until `total_bytes`, fdatasyncs, deletes the file; bytes/s.
fn timed_sequential_write(
    file: std::fs::File,
    path: &Path,
    chunk: &[u8],
    total_bytes: usize,
) -> io::Result<f64> {
    use std::os::unix::fs::FileExt;
    assert!(!chunk.is_empty());
    let start = Instant::now();
    let mut written = 0usize;
    while written < total_bytes {
        file.write_all_at(chunk, written as u64)?;
        written += chunk.len();
    }
    // SAFETY: the fd is owned by `file` and stays open for the call.
    if unsafe { libc::fdatasync(file.as_raw_fd()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let secs = start.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(path)?;
    Ok(written as f64 / secs)
}

/// `writers` threads each appending `size_bytes` + fdatasync to their own file at once, as three
/// replicas on one disk do; returns the latency of every write+fdatasync of every writer.
pub fn concurrent_write_fdatasync(
    dir: &Path,
    size_bytes: usize,
    iterations: usize,
    writers: usize,
) -> io::Result<Histogram<u64>> {
    assert!(writers > 0);
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let dir = dir.join(format!("floor-writer-{w}"));
            std::thread::spawn(move || -> io::Result<Histogram<u64>> {
                std::fs::create_dir_all(&dir)?;
                let h = write_fdatasync(&dir, size_bytes, iterations);
                std::fs::remove_dir_all(&dir)?;
                h
            })
        })
        .collect();
    let mut all = new_histogram_ns();
    for handle in handles {
        let h = handle
            .join()
            .map_err(|_| io::Error::other("writer thread panicked"))??;
        all.add(&h).map_err(|e| io::Error::other(e.to_string()))?;
    }
    Ok(all)
}
