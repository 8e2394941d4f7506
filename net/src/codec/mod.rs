//! Pure codecs: no runtime, no I/O, so they can be fuzzed and benchmarked directly.

pub mod add_raft_voter;
pub mod fetch_response;
pub mod fetch_snapshot_response;
pub mod frame;
pub mod guard;
pub mod header;
pub mod reader;
pub mod request;
pub mod response;
pub mod versions;

pub use fetch_response::{encode_fetch_response_frame, FetchResponseFrame};
pub use fetch_snapshot_response::encode_fetch_snapshot_response_frame;
pub use frame::{FrameDecoder, DEFAULT_MAX_FRAME_SIZE_BYTES};
pub use header::RequestHeader;
pub use request::{decode_request, encode_request_frame, DecodedRequest, KafkaRequest};
pub use response::{
    api_versions_error_response, api_versions_response, api_versions_response_finalized,
    decode_response, encode_response_frame, error_response, rejection_frame, KafkaResponse,
};
pub use versions::{supported_range, ApiRange, SUPPORTED_APIS};
