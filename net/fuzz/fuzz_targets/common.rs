//! Shared by the per-API request targets: the first input byte picks a version within the
//! served range, the rest is the request body; a valid header is put in front so the body
//! reaches the guard, kafka-protocol's decoder and the conversion to the core's types.

use bytes::Bytes;
use kraft_net::codec::header::{encode_request_header, RequestHeader};
use kraft_net::codec::{decode_request, supported_range};
use kraft_net::convert;

pub fn fuzz_request_body(api_key: i16, data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let Some(range) = supported_range(api_key) else {
        return;
    };
    let span = (range.max_version - range.min_version + 1) as u8;
    let version = range.min_version + (selector % span) as i16;
    let header = RequestHeader {
        api_key,
        api_version: version,
        correlation_id: 1,
        client_id: Some("fuzz".into()),
    };
    let mut frame = Vec::with_capacity(16 + body.len());
    if encode_request_header(&mut frame, &header).is_err() {
        return;
    }
    frame.extend_from_slice(body);
    if let Ok(decoded) = decode_request(Bytes::from(frame)) {
        let _ = convert::request_from_kafka(decoded.body, decoded.header.api_version);
    }
}
