//! The process harness of `kraft-benches`, bound to this package's binaries.

// Each test file compiles this module on its own and uses a different part of it.
#![allow(dead_code, unused_imports)]

use std::path::Path;

pub mod snapshot_state;

pub use kraft_benches::process::{
    free_ports, member_placement, poll, read_live_log, read_log, read_log_to, write_config, Server,
    StoredBatch,
};
pub use kraft_interop::history::History;

pub fn server_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_kraft-server"))
}

pub fn start(node_id: i32, config: &Path, log_dir: &Path, args: &[&str]) -> Server {
    Server::start(server_binary(), node_id, config, log_dir, args)
}

pub fn describe(servers: &[String], view: &str) -> Option<String> {
    kraft_benches::process::describe(Path::new(env!("CARGO_BIN_EXE_kraft-quorum")), servers, view)
}

pub fn quorum_status(servers: &[String]) -> Option<(i32, i32, i64)> {
    kraft_benches::process::quorum_status(Path::new(env!("CARGO_BIN_EXE_kraft-quorum")), servers)
}
