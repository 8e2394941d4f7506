//! Request body decoder of api key 1 (fetch) at every served version.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::fuzz_request_body(1, data));
