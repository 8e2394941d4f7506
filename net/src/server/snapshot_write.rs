//! Writing a FetchSnapshot response: the chunk goes from the snapshot file's mapping straight to
//! `sendmsg`, between a prefix and a suffix built by the hand encoder, never copied into the frame.

use std::io;
use std::os::unix::io::RawFd;

use futures_lite::io::WriteHalf;
use glommio::net::TcpStream;
use kraft_message::{FetchSnapshotResponse, SnapshotRecords};

use super::dispatch::ERROR_UNKNOWN_SERVER_ERROR;
use super::stats::ServerStats;
use super::vectored::write_all_vectored;
use crate::codec::fetch_snapshot_response::encode_fetch_snapshot_response_frame;
use crate::codec::rejection_frame;
use crate::codec::versions::API_KEY_FETCH_SNAPSHOT;
use crate::source::RecordSource;

/// Writes `response` as one frame; a `FileRange` chunk is read from `records` as a slice that
/// stays alive (mapped) until the write completes.
pub(super) async fn write_fetch_snapshot<S: RecordSource>(
    fd: RawFd,
    writer: &mut WriteHalf<TcpStream>,
    records: &S,
    stats: &ServerStats,
    api_version: i16,
    correlation_id: i32,
    response: &FetchSnapshotResponse,
) -> io::Result<usize> {
    let file_slice;
    let chunk: &[u8] = match &response.unaligned_records {
        SnapshotRecords::Empty => &[],
        SnapshotRecords::Bytes(bytes) => bytes,
        SnapshotRecords::FileRange {
            snapshot_id,
            position,
            length,
        } => {
            file_slice = records.read_snapshot(*snapshot_id, *position, *length as usize);
            file_slice.as_deref().unwrap_or(&[])
        }
    };
    match encode_fetch_snapshot_response_frame(correlation_id, api_version, response, chunk.len()) {
        Ok(frame) => {
            let chunk = &chunk[..frame.records_len];
            stats
                .snapshot_bytes_sent
                .set(stats.snapshot_bytes_sent.get() + chunk.len() as u64);
            write_all_vectored(
                fd,
                writer,
                &mut [&frame.prefix[..], chunk, &frame.suffix[..]],
            )
            .await
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot encode FetchSnapshot response");
            let frame = rejection_frame(
                API_KEY_FETCH_SNAPSHOT,
                api_version,
                correlation_id,
                ERROR_UNKNOWN_SERVER_ERROR,
            );
            write_all_vectored(fd, writer, &mut [&frame[..]]).await
        }
    }
}
