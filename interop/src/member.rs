//! One quorum member of either kind, our `kraft-server` or Kafka's `kafka.tools.TestRaftServer`,
//! on a fixed node id, port and log directory, so that it can be stopped, killed, restarted, or
//! restarted as the other kind on the same directory (the disk swap).

use crate::kafka::Kafka;
use crate::process::{member_placement, Process};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

/// Which implementation runs a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Rust,
    Java,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Rust => "Rust",
            Kind::Java => "Java",
        })
    }
}

/// Heap of each Java quorum member in the tests (Kafka's script uses 1 GiB; three JVMs share
/// this machine with three Rust nodes).
pub const JAVA_HEAP_MB: u32 = 384;

const TEST_RAFT_SERVER: &str = "kafka.tools.TestRaftServer";

pub struct Member {
    pub id: i32,
    pub kind: Kind,
    pub port: u16,
    /// `id@127.0.0.1:port,...` of the whole quorum (static voters); empty for a member of a
    /// dynamic quorum, which has `bootstrap_servers` instead.
    pub voters: String,
    /// `controller.quorum.bootstrap.servers` (`127.0.0.1:port,...`) of a dynamic-quorum member.
    pub bootstrap_servers: Option<String>,
    /// The replica's directory id (Kafka's base64 UUID), kept across restarts.
    pub directory_id: String,
    /// The member's `log.dirs`; the partition is `<log_dir>/__raft_performance_test-0`.
    pub log_dir: PathBuf,
    /// Config lines both kinds get (e.g. `controller.quorum.append.linger.ms`).
    pub extra_config: String,
    /// `--throughput` and `--record-size` values.
    pub workload: (u32, u32),
    /// `Some(heap)`: a Java member is launched as Kafka's scripts launch it (fixed heap of that
    /// many MiB, G1 options; for benchmarks) instead of with the tests' small bounded heap.
    pub script_heap_mb: Option<u32>,
    pub(crate) server_binary: PathBuf,
    /// Kafka's jars: needed for a Java member and for formatting one; `None` in Rust-only tests.
    pub(crate) kafka: Option<Kafka>,
    process: Option<Process>,
    runs: u32,
}

impl Member {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: i32,
        kind: Kind,
        port: u16,
        voters: &str,
        log_dir: &Path,
        extra_config: &str,
        workload: (u32, u32),
        server_binary: &Path,
        kafka: &Kafka,
    ) -> Member {
        Member {
            id,
            kind,
            port,
            voters: voters.to_string(),
            bootstrap_servers: None,
            directory_id: directory_id(id),
            log_dir: log_dir.to_path_buf(),
            extra_config: extra_config.to_string(),
            workload,
            script_heap_mb: None,
            server_binary: server_binary.to_path_buf(),
            kafka: Some(kafka.clone()),
            process: None,
            runs: 0,
        }
    }

    /// A member of a dynamic quorum (KIP-853): no static voters, `controller.quorum.bootstrap.
    /// servers` instead, and a directory id that formatting (`Member::format`) decides. `kafka`
    /// may be `None` for a Rust member of a Rust-only test.
    #[allow(clippy::too_many_arguments)]
    pub fn dynamic(
        id: i32,
        kind: Kind,
        port: u16,
        bootstrap_servers: &str,
        log_dir: &Path,
        extra_config: &str,
        workload: (u32, u32),
        server_binary: &Path,
        kafka: Option<&Kafka>,
    ) -> Member {
        assert!(
            kind == Kind::Rust || kafka.is_some(),
            "a Java member needs Kafka's jars"
        );
        Member {
            id,
            kind,
            port,
            voters: String::new(),
            bootstrap_servers: Some(bootstrap_servers.to_string()),
            directory_id: String::new(),
            log_dir: log_dir.to_path_buf(),
            extra_config: extra_config.to_string(),
            workload,
            script_heap_mb: None,
            server_binary: server_binary.to_path_buf(),
            kafka: kafka.cloned(),
            process: None,
            runs: 0,
        }
    }

    fn kafka(&self) -> &Kafka {
        self.kafka
            .as_ref()
            .unwrap_or_else(|| panic!("member {} needs Kafka's jars", self.id))
    }

    pub fn partition_dir(&self) -> PathBuf {
        self.log_dir.join("__raft_performance_test-0")
    }

    /// Writes this run's config (the kind decides the extra keys) and starts the process.
    pub fn start(&mut self) {
        assert!(self.process.is_none(), "member {} already running", self.id);
        assert!(
            !self.directory_id.is_empty(),
            "member {} of a dynamic quorum must be formatted before it starts",
            self.id
        );
        self.runs += 1;
        let config = self.write_config();
        let (throughput, record_size) = self.workload;
        let mut command = match self.kind {
            Kind::Rust => {
                let mut c = Command::new(&self.server_binary);
                c.env("RUST_LOG", "info");
                c
            }
            Kind::Java => match self.script_heap_mb {
                Some(heap_mb) => self.kafka().java_as_scripts(heap_mb, TEST_RAFT_SERVER),
                None => self.kafka().java(JAVA_HEAP_MB, TEST_RAFT_SERVER),
            },
        };
        command
            .arg("--config")
            .arg(&config)
            .arg("--replica-directory-id")
            .arg(&self.directory_id)
            .arg("--throughput")
            .arg(throughput.to_string())
            .arg("--record-size")
            .arg(record_size.to_string());
        let stderr = self
            .log_dir
            .with_extension(format!("run{}.stderr", self.runs));
        let process = Process::spawn(command, &stderr)
            .unwrap_or_else(|e| panic!("cannot start {} member {}: {e}", self.kind, self.id));
        self.process = Some(process);
    }

    /// Writes this member's config (the kind decides the extra keys) and returns its path: the
    /// file a server, a formatter and `add-controller` read.
    pub fn write_config(&self) -> PathBuf {
        let quorum = match &self.bootstrap_servers {
            // A dynamic member: Kafka's tools (`add-controller`, `format`) want a controller's
            // config, `process.roles` included.
            Some(servers) => {
                format!("process.roles=controller\ncontroller.quorum.bootstrap.servers={servers}\n")
            }
            None => format!("controller.quorum.voters={}\n", self.voters),
        };
        let mut text = format!(
            "node.id={}\nlisteners=PLAINTEXT://127.0.0.1:{}\ncontroller.listener.names=PLAINTEXT\n\
             {quorum}log.dirs={}\n{}\n",
            self.id,
            self.port,
            self.log_dir.display(),
            self.extra_config
        );
        if self.kind == Kind::Rust {
            text.push_str(&member_placement());
        }
        std::fs::write(self.config_path(), text).expect("write member config");
        self.config_path()
    }

    /// Where `write_config` puts the config (beside the log directory, so that wiping the
    /// directory keeps it).
    pub fn config_path(&self) -> PathBuf {
        self.log_dir
            .with_extension(format!("{}.properties", self.kind))
    }

    pub fn is_running(&mut self) -> bool {
        self.process.as_mut().is_some_and(Process::is_running)
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.kill();
        }
    }

    /// SIGSTOP, and a bounded wait until every thread stopped: sockets stay open, nothing is
    /// answered or written until `resume`.
    pub fn pause(&self) {
        let process = self.process.as_ref().expect("a running member to pause");
        process.signal(libc::SIGSTOP);
        let pid = process.pid().expect("pid");
        let stopped = crate::process::poll(Duration::from_secs(5), || {
            crate::process::all_threads_stopped(pid).then_some(())
        });
        assert!(
            stopped.is_some(),
            "member {} did not stop on SIGSTOP",
            self.id
        );
    }

    /// SIGCONT after `pause`.
    pub fn resume(&self) {
        if let Some(p) = &self.process {
            p.signal(libc::SIGCONT);
        }
    }

    /// SIGTERM (graceful: a leader resigns with EndQuorumEpoch) and a bounded wait.
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        self.process
            .take()
            .and_then(|mut p| p.terminate(Duration::from_secs(30)))
    }

    /// Report lines (`Throughput (bytes/second): ...`) printed by the current run.
    pub fn report_lines(&self) -> usize {
        self.process.as_ref().map_or(0, Process::report_lines)
    }

    /// Election-state changes the current run logged, as (milliseconds since the Unix epoch, line):
    /// our `became <State> in epoch` lines and Kafka's `Completed transition to <State>` lines.
    pub fn state_changes(&self) -> Vec<(u64, String)> {
        self.stderr()
            .lines()
            .filter(|l| l.contains("status: became ") || l.contains("Completed transition to "))
            .filter_map(|l| Some((log_time_ms(l)?, l.chars().take(200).collect())))
            .collect()
    }

    /// stdout lines of the current run (the report lines of a leader).
    pub fn stdout_lines(&self) -> Vec<String> {
        self.process
            .as_ref()
            .map_or_else(Vec::new, Process::stdout_lines)
    }

    /// stderr of the current (or last) run.
    pub fn stderr(&self) -> String {
        let path = self
            .log_dir
            .with_extension(format!("run{}.stderr", self.runs));
        std::fs::read_to_string(path).unwrap_or_default()
    }

    /// stderr of every run so far, for failure messages.
    pub fn logs_tail(&self, lines: usize) -> String {
        let mut out = String::new();
        for run in 1..=self.runs {
            let path = self.log_dir.with_extension(format!("run{run}.stderr"));
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let all: Vec<&str> = text.lines().collect();
            let from = all.len().saturating_sub(lines);
            out.push_str(&format!("--- {} ({})\n", path.display(), self.kind));
            for line in &all[from..] {
                out.push_str(&line.chars().take(300).collect::<String>());
                out.push('\n');
            }
        }
        out
    }
}

/// The time stamp at the start of a log line, in milliseconds since the Unix epoch (UTC): ours
/// `2026-12-04T17:21:12.331706Z ...`, Kafka's log4j `[2026-12-04 17:21:11,844] ...` (the JVMs run
/// with `-Duser.timezone=UTC`).
pub fn log_time_ms(line: &str) -> Option<u64> {
    let text = line.strip_prefix('[').unwrap_or(line);
    let digits =
        |from: usize, len: usize| -> Option<u64> { text.get(from..from + len)?.parse().ok() };
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    let millis = digits(20, 3)?;
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

/// A fixed, non-zero directory id per node id, in Kafka's base64 form (22 characters, URL-safe,
/// no padding), so that a member keeps its replica key across restarts and kinds.
pub fn directory_id(node_id: i32) -> String {
    let mut bytes = [0u8; 16];
    bytes[0] = 0x4b; // non-zero high bits: not one of Kafka's reserved small UUIDs
    bytes[12..].copy_from_slice(&node_id.to_be_bytes());
    base64_url(&bytes)
}

fn base64_url(bytes: &[u8; 16]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(22);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = chunk.len() + 1;
        for i in 0..symbols {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_times_of_both_kinds() {
        let rust =
            "2026-12-04T17:21:12.331706Z  INFO kraft_bin::runtime::status: became Prospective";
        let java = "[2026-12-04 17:21:11,844] INFO [RaftManager id=2] Completed transition to X";
        assert_eq!(super::log_time_ms(rust), Some(1_796_404_872_331));
        assert_eq!(super::log_time_ms(java), Some(1_796_404_871_844));
        assert_eq!(
            super::log_time_ms("[1970-01-01 00:00:01,002] x"),
            Some(1002)
        );
        assert_eq!(super::log_time_ms("no time here"), None);
    }

    #[test]
    fn directory_ids_are_kafka_base64() {
        let id = super::directory_id(1);
        assert_eq!(id.len(), 22);
        assert_eq!(super::base64_url(&[0; 16]), "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(
            super::base64_url(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]),
            "AAAAAAAAAAAAAAAAAAAAAg"
        );
        assert_ne!(super::directory_id(1), super::directory_id(2));
    }
}
