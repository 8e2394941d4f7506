//! Request body decoder of api key 82 (update_raft_voter) at every served version.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::fuzz_request_body(82, data));
