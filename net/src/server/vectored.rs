//! Writing several buffers as one frame with as few syscalls as possible.
//!
//! glommio 0.9's `TcpStream` has no vectored write (its `poll_write_vectored` is the default,
//! which writes only the first buffer). Like glommio's own write path, we first try the syscall
//! directly with `MSG_DONTWAIT`, here `sendmsg` with all buffers; only if the socket buffer is
//! full do we fall back to glommio's `write`, which waits for writability through the reactor.

use std::io;
use std::os::unix::io::RawFd;

use futures_lite::{AsyncWrite, AsyncWriteExt};

/// At most this many buffers per `sendmsg` (a frame has at most three).
const MAX_IOVECS: usize = 8;

fn try_sendmsg(fd: RawFd, bufs: &[&[u8]]) -> io::Result<usize> {
    let mut iovecs = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; MAX_IOVECS];
    let mut count = 0;
    for buf in bufs.iter().filter(|b| !b.is_empty()).take(MAX_IOVECS) {
        iovecs[count] = libc::iovec {
            iov_base: buf.as_ptr() as *mut libc::c_void,
            iov_len: buf.len(),
        };
        count += 1;
    }
    if count == 0 {
        return Ok(0);
    }
    // SAFETY: msghdr is plain data; zeroed is a valid "no name, no control" header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iovecs.as_mut_ptr();
    msg.msg_iovlen = count as _;
    // SAFETY: every iovec points into a live slice borrowed for the duration of the call, and
    // sendmsg only reads from them.
    let sent = unsafe { libc::sendmsg(fd, &msg, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) };
    if sent < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(sent as usize)
    }
}

/// Drops `n` written bytes from the front of `bufs`.
fn advance(bufs: &mut [&[u8]], mut n: usize) {
    for buf in bufs.iter_mut() {
        let take = n.min(buf.len());
        *buf = &buf[take..];
        n -= take;
        if n == 0 {
            break;
        }
    }
}

/// Writes all of `bufs`, in order, to the socket `fd` (also reachable as `writer`).
/// Returns the number of `sendmsg`/`write` calls made.
pub async fn write_all_vectored<W: AsyncWrite + Unpin>(
    fd: RawFd,
    writer: &mut W,
    bufs: &mut [&[u8]],
) -> io::Result<usize> {
    let mut calls = 0;
    // Bounded: each iteration either sends at least one byte or waits for writability.
    while bufs.iter().any(|b| !b.is_empty()) {
        calls += 1;
        match try_sendmsg(fd, bufs) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => advance(bufs, n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let first = bufs
                    .iter()
                    .copied()
                    .find(|b| !b.is_empty())
                    .unwrap_or_default();
                let n = writer.write(first).await?;
                if n == 0 {
                    return Err(io::ErrorKind::WriteZero.into());
                }
                advance(bufs, n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::advance;

    #[test]
    fn advance_crosses_buffers() {
        let (a, b, c) = (&b"abc"[..], &b""[..], &b"defg"[..]);
        let mut bufs = [a, b, c];
        advance(&mut bufs, 4);
        assert_eq!(bufs, [&b""[..], &b""[..], &b"efg"[..]]);
    }
}
