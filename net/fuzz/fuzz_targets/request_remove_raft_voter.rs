//! Request body decoder of api key 81 (remove_raft_voter) at every served version.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::fuzz_request_body(81, data));
