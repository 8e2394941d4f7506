//! Request header v1/v2 decoding (and the prefix read used for error responses).
#![no_main]

use kraft_net::codec::header::{decode_request_header, read_header_prefix};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = read_header_prefix(data);
    if let Ok((header, len)) = decode_request_header(data) {
        assert!(len <= data.len());
        assert!(header.client_id.map_or(0, |c| c.len()) <= data.len());
    }
});
