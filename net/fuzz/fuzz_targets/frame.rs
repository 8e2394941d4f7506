//! The server's whole inbound path: framing, header, guard, body decoder, conversion.
#![no_main]

use bytes::BytesMut;
use kraft_net::codec::{decode_request, FrameDecoder};
use kraft_net::convert;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let decoder = FrameDecoder::new(1 << 20);
    let mut buf = BytesMut::from(data);
    while let Ok(Some(frame)) = decoder.decode(&mut buf) {
        if let Ok(decoded) = decode_request(frame) {
            let _ = convert::request_from_kafka(decoded.body, decoded.header.api_version);
        }
    }
});
