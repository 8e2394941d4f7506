//! The process harness of `kraft-benches`, bound to this package's binaries.

// Each test file compiles this module on its own and uses a different part of it.
#![allow(dead_code, unused_imports)]

use std::path::Path;

pub mod dynamic;
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

/// Stops every member with SIGTERM, followers first: the leader then commits nothing more, so
/// every follower's snapshots and log stay within what the leader's log holds. Each must exit 0
/// within 20 s.
pub fn stop_followers_then_leader(servers: &mut [Server], leader: i32) {
    servers.sort_by_key(|s| s.node_id == leader);
    for server in servers.iter_mut() {
        let status = server.terminate(std::time::Duration::from_secs(20));
        assert!(
            status.is_some_and(|s| s.success()),
            "node {} did not stop cleanly",
            server.node_id
        );
    }
}

/// The last `lines` lines of each member's stderr, headed by its node id: what a failing
/// assertion prints so the cause is visible without the log files.
pub fn stderr_tails(servers: &[Server], lines: usize) -> String {
    servers
        .iter()
        .map(|s| {
            let text = s.stderr();
            let tail: Vec<&str> = text.lines().rev().take(lines).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("--- node {} ---\n{}\n", s.node_id, tail.join("\n"))
        })
        .collect()
}
