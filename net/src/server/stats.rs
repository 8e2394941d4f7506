use std::cell::Cell;

/// Counters of one server (single executor, so plain cells).
#[derive(Debug, Default)]
pub struct ServerStats {
    pub connections_accepted: Cell<u64>,
    /// Connections closed at once because of `max.connections` or `max.connections.per.ip`.
    pub connections_refused: Cell<u64>,
    /// Connections closed after `connections.max.idle.ms` without a byte read or written.
    pub closed_idle: Cell<u64>,
    /// Connections whose tasks have ended.
    pub connections_closed: Cell<u64>,
    /// Request frames received (including rejected ones).
    pub requests: Cell<u64>,
    /// Requests answered with an error by net itself (undecodable, unknown api or version,
    /// wrong shape).
    pub rejected_requests: Cell<u64>,
    /// Connections closed because a frame or header could not be read.
    pub closed_on_bad_frame: Cell<u64>,
    /// Record bytes written in Fetch responses. On this path they go from the log's slice
    /// straight to `sendmsg`: zero user-space copies (the kernel's copy into the socket buffer
    /// is the only one).
    pub fetch_record_bytes_sent: Cell<u64>,
    /// Record bytes of Fetch responses copied in user space before sending. Every Fetch path
    /// passes the records to `sendmsg` as their own buffer, so this stays 0; it exists so that
    /// the claim is measured (`cargo bench -p kraft-net`) rather than assumed.
    pub fetch_record_bytes_copied: Cell<u64>,
    /// Bytes of Fetch response frames built in user space (size, header and the fields around
    /// the records).
    pub fetch_frame_bytes_built: Cell<u64>,
    /// Total bytes of Fetch response frames written (records plus prefix/suffix).
    pub fetch_frame_bytes_sent: Cell<u64>,
    /// Snapshot bytes written in FetchSnapshot responses, from the snapshot file's mapping
    /// straight to `sendmsg` (no user-space copy).
    pub snapshot_bytes_sent: Cell<u64>,
}
