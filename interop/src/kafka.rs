//! Locating (and on first use resolving) Kafka's jars, and running Kafka's command-line tools
//! with a bounded heap and a bounded wait.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The newest Kafka 4.x release that resolves from Maven Central here (the default).
pub const NEWEST: &str = "4.4.0";
/// The oldest 4.0.x release.
pub const OLDEST: &str = "4.0.0";

/// Heap of each Java tool run (DumpLogSegments on a 64 MiB segment needs well under this).
const TOOL_HEAP_MB: u32 = 512;
/// Resolving a version's jars the first time (Maven downloads about 100 MiB).
const FETCH_TIMEOUT: Duration = Duration::from_secs(900);

/// The Kafka versions the interop tests run against: `KRAFT_KAFKA_VERSIONS` (comma-separated),
/// default the newest.
pub fn versions_under_test() -> Vec<String> {
    match std::env::var("KRAFT_KAFKA_VERSIONS") {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect(),
        _ => vec![NEWEST.to_string()],
    }
}

/// Whether a skipped interop test must fail instead (`KRAFT_INTEROP_REQUIRED=1`, set by CI).
pub fn skips_are_failures() -> bool {
    matches!(
        std::env::var("KRAFT_INTEROP_REQUIRED").as_deref(),
        Ok("1") | Ok("true") | Ok("yes")
    )
}

/// Reports a skipped interop test loudly; panics instead when skips are failures.
pub fn skip(test: &str, reason: &str) {
    use std::io::Write;
    let banner = "!".repeat(78);
    // Straight to the process's stderr: libtest captures `eprintln!` of a passing test, and a
    // skip must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "{banner}\nINTEROP TEST SKIPPED: {test}: {reason}\n{banner}"
    );
    assert!(
        !skips_are_failures(),
        "interop test {test} cannot run ({reason}) and KRAFT_INTEROP_REQUIRED is set"
    );
}

/// What a finished tool run printed.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    pub success: bool,
    /// The exit code; `None` when a signal ended the process (or the deadline killed it).
    pub code: Option<i32>,
    /// Whether the deadline passed first and the process was killed.
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
}

/// One Kafka release's jars, resolved into `interop/lib/VERSION`.
#[derive(Debug, Clone)]
pub struct Kafka {
    pub version: String,
    pub lib: PathBuf,
}

impl Kafka {
    /// The jars of `version`, resolved on first use; `None` (after a loud skip message naming
    /// `test`) when Java or Maven is missing or the version does not resolve.
    pub fn locate(test: &str, version: &str) -> Option<Kafka> {
        for tool in ["java", "mvn"] {
            if !on_path(tool) {
                skip(test, &format!("`{tool}` is not on PATH"));
                return None;
            }
        }
        let script = interop_dir().join("fetch-kafka.sh");
        let mut command = Command::new("bash");
        command.arg(&script).arg(version);
        let out = run_bounded(command, FETCH_TIMEOUT);
        if !out.success {
            skip(
                test,
                &format!("resolving Kafka {version} failed: {}", out.stderr.trim()),
            );
            return None;
        }
        let lib = PathBuf::from(out.stdout.trim());
        Some(Kafka {
            version: version.to_string(),
            lib,
        })
    }

    /// `java` with this release on the class path, Kafka's log4j2 settings, the given heap.
    pub fn java(&self, heap_mb: u32, main_class: &str) -> Command {
        let heap = [
            format!("-Xmx{heap_mb}m"),
            format!("-Xms{}m", heap_mb.min(128)),
        ];
        self.java_with(&heap, main_class)
    }

    /// `java` launched as Kafka's `raft/bin/test-kraft-server-start.sh` launches TestRaftServer
    /// through `kafka-run-class.sh`: a fixed heap (the script's 1 GiB) and the script's G1
    /// options, so that a performance comparison measures the JVM as Kafka ships it.
    pub fn java_as_scripts(&self, heap_mb: u32, main_class: &str) -> Command {
        let mut options = vec![format!("-Xmx{heap_mb}m"), format!("-Xms{heap_mb}m")];
        options.extend(
            [
                "-server",
                "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=20",
                "-XX:InitiatingHeapOccupancyPercent=35",
                "-XX:+ExplicitGCInvokesConcurrent",
                "-XX:MaxInlineLevel=15",
                "-Djava.awt.headless=true",
            ]
            .map(String::from),
        );
        self.java_with(&options, main_class)
    }

    fn java_with(&self, jvm_options: &[String], main_class: &str) -> Command {
        let mut command = Command::new("java");
        command
            .args(jvm_options)
            .arg("-Duser.timezone=UTC")
            .arg(format!(
                "-Dlog4j2.configurationFile={}",
                interop_dir().join("log4j2.properties").display()
            ))
            .arg("-cp")
            .arg(format!("{}/*", self.lib.display()))
            .arg(main_class);
        command
    }

    /// Kafka's `DumpLogSegments` (moved from `kafka.tools` to `org.apache.kafka.tools` in 4.x).
    pub fn dump_log_segments(&self, args: &[String]) -> ToolOutput {
        let timeout = Duration::from_secs(180);
        let mut first = self.java(TOOL_HEAP_MB, "org.apache.kafka.tools.DumpLogSegments");
        first.args(args);
        let out = run_bounded(first, timeout);
        if !out.stderr.contains("ClassNotFoundException") {
            return out;
        }
        let mut old = self.java(TOOL_HEAP_MB, "kafka.tools.DumpLogSegments");
        old.args(args);
        run_bounded(old, timeout)
    }

    /// `kafka-metadata-quorum --bootstrap-controller BOOTSTRAP ARGS...`.
    pub fn metadata_quorum(&self, bootstrap: &str, args: &[&str]) -> ToolOutput {
        let mut command = self.java(256, "org.apache.kafka.tools.MetadataQuorumCommand");
        command
            .arg("--bootstrap-controller")
            .arg(bootstrap)
            .args(args);
        run_bounded(command, Duration::from_secs(90))
    }

    /// `kafka-metadata-quorum --bootstrap-controller BOOTSTRAP --command-config CONFIG
    /// add-controller`: Kafka's tool reads the node id, the directory id (from `meta.properties`
    /// of the metadata log directory) and the controller listener from the added node's config.
    pub fn add_controller(&self, bootstrap: &str, config: &Path) -> ToolOutput {
        let config = config.display().to_string();
        self.metadata_quorum(bootstrap, &["--command-config", &config, "add-controller"])
    }

    /// `kafka-metadata-quorum --bootstrap-controller BOOTSTRAP remove-controller
    /// --controller-id ID --controller-directory-id DIRECTORY_ID`.
    pub fn remove_controller(&self, bootstrap: &str, id: i32, directory_id: &str) -> ToolOutput {
        let id = id.to_string();
        self.metadata_quorum(
            bootstrap,
            &[
                "remove-controller",
                "--controller-id",
                &id,
                "--controller-directory-id",
                directory_id,
            ],
        )
    }
}

/// The `interop/` folder of this repository.
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

/// Runs `command` to completion, killing it (by PID) when `timeout` passes first.
pub fn run_bounded(mut command: Command, timeout: Duration) -> ToolOutput {
    let spawned = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            return ToolOutput {
                success: false,
                code: None,
                timed_out: false,
                stdout: String::new(),
                stderr: format!("cannot start {command:?}: {e}"),
            }
        }
    };
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = collect(stderr, "stderr");
    if status.is_none() {
        stderr.push_str(&format!("\n(killed after {timeout:?})"));
    }
    ToolOutput {
        success: status.is_some_and(|s| s.success()),
        code: status.and_then(|s| s.code()),
        timed_out: status.is_none(),
        stdout: collect(stdout, "stdout"),
        stderr,
    }
}

/// How long a pipe may stay open after its process ended: a descendant (a script's `mvn`, say)
/// that inherited it keeps it open, and the run must not wait for that descendant.
const PIPE_GRACE: Duration = Duration::from_secs(5);

/// Reads `pipe` to its end on a thread of its own; the text arrives on the returned channel.
fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut text);
        }
        let _ = sender.send(String::from_utf8_lossy(&text).into_owned());
    });
    receiver
}

/// What a `drain` read, waiting at most `PIPE_GRACE` for the pipe to close.
fn collect(drained: mpsc::Receiver<String>, name: &str) -> String {
    drained
        .recv_timeout(PIPE_GRACE)
        .unwrap_or_else(|_| format!("({name} still open {PIPE_GRACE:?} after the process ended)"))
}
