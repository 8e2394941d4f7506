//! A dynamic quorum (KIP-853) of real processes: configs with only
//! `controller.quorum.bootstrap.servers`, directories formatted with `kraft-storage`, and what
//! the tests read back (voter-set lines, Voters records of a log, `meta.properties`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kraft_interop::kafka::run_bounded;
use kraft_records::{collect_kraft_control, BatchIter, ControlRecord};

use super::{Server, StoredBatch};

pub const REPORT: &str = "Throughput (bytes/second):";
/// Bound of every wait: generous, as these tests share a loaded machine with others.
pub const WAIT: Duration = Duration::from_secs(60);
pub const LOAD: [&str; 4] = ["--throughput", "2000", "--record-size", "100"];

/// A controller of a dynamic quorum (no static voters) on 127.0.0.1:`port`, plus `extra` lines.
pub fn write_config(
    root: &Path,
    node_id: i32,
    port: u16,
    bootstrap_port: u16,
    extra: &str,
) -> (PathBuf, PathBuf) {
    let log_dir = root.join(format!("node-{node_id}"));
    let text = format!(
        "node.id={node_id}\nprocess.roles=controller\nlisteners=CONTROLLER://127.0.0.1:{port}\n\
         controller.listener.names=CONTROLLER\n\
         controller.quorum.bootstrap.servers=127.0.0.1:{bootstrap_port}\nlog.dirs={}\n{extra}\n",
        log_dir.display()
    );
    let path = root.join(format!("node-{node_id}.properties"));
    std::fs::write(&path, text).unwrap();
    (path, log_dir)
}

pub fn storage(args: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kraft-storage"));
    command.args(args).env_remove("RUST_LOG");
    let output = run_bounded(command, WAIT);
    assert!(
        output.success,
        "kraft-storage {args:?}: {}{}",
        output.stdout, output.stderr
    );
    output.stdout
}

pub fn format(config: &Path, cluster_id: &str, mode: &str) {
    let config = config.to_str().unwrap();
    storage(&[
        "format",
        "--config",
        config,
        "--cluster-id",
        cluster_id,
        mode,
    ]);
}

/// `directory.id` of the node's `meta.properties` (written by the formatter).
pub fn directory_id(log_dir: &Path) -> String {
    let text = std::fs::read_to_string(log_dir.join("meta.properties")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("directory.id="))
        .expect("directory.id in meta.properties")
        .to_string()
}

/// The voter ids of every Voters record of `log`, in log order.
pub fn logged_voter_sets(log: &[StoredBatch]) -> Vec<Vec<i32>> {
    let mut records = Vec::new();
    for stored in log {
        for batch in BatchIter::new(&stored.bytes) {
            collect_kraft_control(&batch.unwrap(), &mut records).unwrap();
        }
    }
    records
        .into_iter()
        .filter_map(|(_, record)| match record {
            ControlRecord::KRaftVoters(voters) => {
                Some(voters.voters.iter().map(|v| v.voter_id).collect())
            }
            _ => None,
        })
        .collect()
}

/// Starts `node_id` and waits until it reports its voter set and leads (a report line).
pub fn start_leader(node_id: i32, config: &Path, log_dir: &Path) -> Server {
    let server = super::start(node_id, config, log_dir, &LOAD);
    let voters = server.wait_for_line(WAIT, |l| l.contains("kraft.version 1, voters [1]"));
    assert!(
        voters.is_some(),
        "no voter set line; stderr:\n{}",
        server.stderr()
    );
    let report = server.wait_for_line(WAIT, |l| l.starts_with(REPORT));
    assert!(report.is_some(), "no commits; stderr:\n{}", server.stderr());
    server
}
