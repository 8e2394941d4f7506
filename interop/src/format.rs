//! Formatting a member's log directory for a dynamic quorum (KIP-853), with the tool of its own
//! kind: ours `kraft-storage format`, Kafka's `kafka.tools.StorageTool format`. Both write
//! `meta.properties` (the directory id the member then runs with) and, for `--standalone` and
//! `--initial-controllers`, the bootstrap checkpoint `00000000000000000000-0000000000.checkpoint`
//! holding the KRaftVersion and Voters records.
//!
//! Kafka's formatter puts that checkpoint in the metadata partition `__cluster_metadata-0`;
//! TestRaftServer replicates `__raft_performance_test-0` and reads its bootstrap checkpoint there,
//! so a Java member's checkpoint is copied over (the file holds no partition name). TestRaftServer
//! takes its directory id from `--replica-directory-id`, not from `meta.properties`: the member
//! passes the formatted one.

use crate::kafka::{run_bounded, ToolOutput};
use crate::member::{Kind, Member};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// TestRaftServer's cluster id (it hard-codes `Uuid.ZERO_UUID`); every member of a quorum with a
/// Java member must be formatted with it, and our server's default is the same.
pub const CLUSTER_ID: &str = "AAAAAAAAAAAAAAAAAAAAAA";

/// The bootstrap checkpoint's name, in both kinds' partition directories.
pub const BOOTSTRAP_CHECKPOINT: &str = "00000000000000000000-0000000000.checkpoint";

const FORMAT_TIMEOUT: Duration = Duration::from_secs(120);

/// How a directory is formatted (`kafka-storage format`'s three modes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Formatting {
    /// This node is the only voter (`--standalone`).
    Standalone,
    /// `--initial-controllers id@host:port:directory-id,...` (must name this node).
    InitialControllers(String),
    /// A node that joins later (`--no-initial-controllers`): no bootstrap checkpoint.
    NoInitialControllers,
}

impl Formatting {
    fn args(&self) -> Vec<String> {
        match self {
            Formatting::Standalone => vec!["--standalone".into()],
            Formatting::InitialControllers(list) => {
                vec!["--initial-controllers".into(), list.clone()]
            }
            Formatting::NoInitialControllers => vec!["--no-initial-controllers".into()],
        }
    }
}

impl Member {
    /// Writes the config and formats the log directory with this member's kind of tool, then
    /// takes the directory id it wrote. Returns the tool's output; `Err` with it when the tool
    /// failed or left no directory id.
    pub fn format(&mut self, how: &Formatting) -> Result<ToolOutput, String> {
        assert!(
            self.bootstrap_servers.is_some(),
            "member {} has static voters: nothing to format",
            self.id
        );
        let config = self.write_config();
        let out = match self.kind {
            Kind::Rust => {
                let mut command = Command::new(storage_binary(&self.server_binary));
                command
                    .arg("format")
                    .arg("--config")
                    .arg(&config)
                    .arg("--cluster-id")
                    .arg(CLUSTER_ID)
                    .args(how.args());
                run_bounded(command, FORMAT_TIMEOUT)
            }
            Kind::Java => {
                let kafka = self.kafka.as_ref().expect("a Java member has Kafka's jars");
                let mut command = kafka.java(256, "kafka.tools.StorageTool");
                command
                    .arg("format")
                    .arg("-t")
                    .arg(CLUSTER_ID)
                    .arg("-c")
                    .arg(&config)
                    .args(how.args());
                run_bounded(command, FORMAT_TIMEOUT)
            }
        };
        let failed = |why: &str| {
            format!(
                "formatting member {} ({}) {how:?}: {why}\nstdout: {}\nstderr: {}",
                self.id,
                self.kind,
                out.stdout.trim(),
                tail(&out.stderr, 20)
            )
        };
        if !out.success {
            return Err(failed("the tool failed"));
        }
        if self.kind == Kind::Java {
            copy_bootstrap_checkpoint(&self.log_dir, &self.partition_dir())
                .map_err(|e| failed(&e))?;
        }
        self.directory_id = meta_directory_id(&self.log_dir)
            .ok_or_else(|| failed("meta.properties holds no directory.id after formatting"))?;
        Ok(out)
    }

    /// Removes the member's log directory (a dead disk): the next `format` gives it a new
    /// directory id. The member must not be running.
    pub fn wipe(&mut self) {
        assert!(!self.is_running(), "member {} still runs", self.id);
        if self.log_dir.exists() {
            std::fs::remove_dir_all(&self.log_dir).expect("remove the member's log directory");
        }
        self.directory_id.clear();
    }

    /// `id@127.0.0.1:port:directory-id`, this member's entry of `--initial-controllers`.
    pub fn initial_controller(&self) -> String {
        assert!(
            !self.directory_id.is_empty(),
            "member {} has no directory id yet",
            self.id
        );
        format!("{}@127.0.0.1:{}:{}", self.id, self.port, self.directory_id)
    }
}

/// Chooses the directory ids of `members` up front (Kafka's `random-uuid`: here the fixed ids of
/// `member::directory_id`) and returns the `--initial-controllers` value naming them all.
pub fn initial_controllers(members: &mut [&mut Member]) -> String {
    let entries: Vec<String> = members
        .iter_mut()
        .map(|m| {
            m.directory_id = crate::member::directory_id(m.id);
            m.initial_controller()
        })
        .collect();
    entries.join(",")
}

/// `kraft-storage`, built beside `kraft-server` (same target directory).
pub fn storage_binary(server_binary: &Path) -> PathBuf {
    server_binary.with_file_name("kraft-storage")
}

/// `directory.id` of `<log_dir>/meta.properties`, if any.
pub fn meta_directory_id(log_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log_dir.join("meta.properties")).ok()?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("directory.id="))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Copies Kafka's bootstrap checkpoint from `__cluster_metadata-0` into TestRaftServer's
/// partition directory (nothing to copy after `--no-initial-controllers`).
fn copy_bootstrap_checkpoint(log_dir: &Path, partition_dir: &Path) -> Result<(), String> {
    let from = log_dir
        .join("__cluster_metadata-0")
        .join(BOOTSTRAP_CHECKPOINT);
    if !from.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(partition_dir)
        .map_err(|e| format!("{}: {e}", partition_dir.display()))?;
    std::fs::copy(&from, partition_dir.join(BOOTSTRAP_CHECKPOINT))
        .map(|_| ())
        .map_err(|e| format!("copying {}: {e}", from.display()))
}

/// The last `lines` lines of `text`.
pub(crate) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_id_is_read_from_meta_properties() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(meta_directory_id(dir.path()), None);
        std::fs::write(
            dir.path().join("meta.properties"),
            "#\nnode.id=1\ndirectory.id=Qio7PyoqTz6DRk5i5nYVzw\nversion=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\n",
        )
        .unwrap();
        assert_eq!(
            meta_directory_id(dir.path()).as_deref(),
            Some("Qio7PyoqTz6DRk5i5nYVzw")
        );
    }

    #[test]
    fn formatting_modes_are_kafka_storage_arguments() {
        assert_eq!(Formatting::Standalone.args(), ["--standalone"]);
        assert_eq!(
            Formatting::InitialControllers("1@h:1:x".into()).args(),
            ["--initial-controllers", "1@h:1:x"]
        );
        assert_eq!(
            Formatting::NoInitialControllers.args(),
            ["--no-initial-controllers"]
        );
    }
}
