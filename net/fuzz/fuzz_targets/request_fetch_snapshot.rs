//! Request body decoder of api key 59 (fetch_snapshot) at every served version.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::fuzz_request_body(59, data));
