//! The client's response path: the first two bytes pick api and version, the rest is the frame.
#![no_main]

use bytes::Bytes;
use kraft_net::codec::{decode_response, SUPPORTED_APIS};
use kraft_net::convert;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let [api, version, frame @ ..] = data else {
        return;
    };
    let range = SUPPORTED_APIS[*api as usize % SUPPORTED_APIS.len()];
    let span = (range.max_version - range.min_version + 1) as u8;
    let v = range.min_version + (version % span) as i16;
    if let Ok((_, response)) = decode_response(Bytes::copy_from_slice(frame), range.api_key, v) {
        let _ = convert::response_from_kafka(response, v);
    }
});
