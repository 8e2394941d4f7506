//! A blocking ApiVersions v0 probe on a plain `std` socket: does a Kafka listener serve this
//! connection, or has it closed it (a connection over a cap, an idle one)? v0 because every
//! Kafka listener answers it, whatever versions it serves. Used by the connection-limit tests of
//! this crate and of the server binary.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;

/// What one probe saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// An ApiVersions response echoing the probe's correlation id.
    Served,
    /// The peer closed (or reset) the connection.
    Closed,
    /// Neither within the socket's read timeout.
    TimedOut,
}

/// Sends ApiVersions v0 with `correlation_id` and reads one response frame. The socket's own
/// read/write timeouts bound the wait (set them first).
pub fn api_versions_v0(stream: &mut TcpStream, correlation_id: i32) -> ProbeOutcome {
    let id = correlation_id.to_be_bytes();
    // size 10 | api key 18 | version 0 | correlation id | client id null (-1)
    let request: [u8; 14] = [
        0, 0, 0, 10, 0, 18, 0, 0, id[0], id[1], id[2], id[3], 0xff, 0xff,
    ];
    if stream.write_all(&request).is_err() {
        return ProbeOutcome::Closed;
    }
    let mut size = [0u8; 4];
    match stream.read_exact(&mut size) {
        Ok(()) => {}
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            return ProbeOutcome::TimedOut
        }
        Err(_) => return ProbeOutcome::Closed,
    }
    let mut body = vec![0u8; u32::from_be_bytes(size) as usize];
    match stream.read_exact(&mut body) {
        Ok(()) if body.len() >= 4 && body[..4] == id => ProbeOutcome::Served,
        Ok(()) => ProbeOutcome::Closed,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            ProbeOutcome::TimedOut
        }
        Err(_) => ProbeOutcome::Closed,
    }
}
