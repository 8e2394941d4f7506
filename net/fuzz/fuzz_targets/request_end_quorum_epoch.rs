//! Request body decoder of api key 54 (end_quorum_epoch) at every served version.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::fuzz_request_body(54, data));
