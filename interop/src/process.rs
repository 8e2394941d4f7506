//! Real `kraft-server` processes for end-to-end tests and benchmarks: free loopback ports,
//! generated configs, captured output, bounded waits, and a guard that kills every process by PID
//! when it goes out of scope. The binaries are passed in (tests get them from Cargo's
//! `CARGO_BIN_EXE_*`, benchmarks from `target/release`).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use crate::kafka::run_bounded;
// The log readers moved to the spec reader; their old paths stay for the tests and benchmarks.
pub use crate::spec_log::{read_live_log, read_log, read_log_to, segment_files, StoredBatch};

/// Free loopback ports, found by binding port 0 (the OS picks; the socket is closed again).
pub fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("addr").port())
        .collect()
}

/// Writes a node's config in the shape of config/kraft-quorum-N.properties, plus `extra` lines.
pub fn write_config(
    dir: &Path,
    node_id: i32,
    ports: &[(i32, u16)],
    log_dir: &Path,
    extra: &str,
) -> PathBuf {
    let own = ports
        .iter()
        .find(|(id, _)| *id == node_id)
        .expect("own port")
        .1;
    let voters: Vec<String> = ports
        .iter()
        .map(|(id, port)| format!("{id}@127.0.0.1:{port}"))
        .collect();
    let text = format!(
        "node.id={node_id}\nlisteners=PLAINTEXT://127.0.0.1:{own}\ncontroller.listener.names=PLAINTEXT\n\
         controller.quorum.voters={}\nlog.dirs={}\n{extra}\n",
        voters.join(","),
        log_dir.display()
    );
    let path = dir.join(format!("node-{node_id}.properties"));
    std::fs::write(&path, text).expect("write config");
    path
}

/// One child process (any program) with its stdout lines collected and its stderr appended to a
/// file; killed by PID when dropped.
pub struct Process {
    child: Option<Child>,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr_path: PathBuf,
}

impl Process {
    /// Starts `command` with stdout piped into memory and stderr appended to `stderr_path`
    /// (appended across restarts, so a failing test shows every run of the node).
    pub fn spawn(mut command: Command, stderr_path: &Path) -> std::io::Result<Process> {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(stderr_path)?;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()?;
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let pipe = child.stdout.take().expect("stdout is piped");
        let lines = stdout.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().expect("lines").push(line);
            }
        });
        Ok(Process {
            child: Some(child),
            stdout,
            stderr_path: stderr_path.to_path_buf(),
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process has not exited yet.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout.lock().expect("lines").clone()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Waits until a stdout line satisfies `pred`, at most `timeout`.
    pub fn wait_for_line(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        poll(timeout, || {
            self.stdout_lines().into_iter().find(|l| pred(l))
        })
    }

    /// Number of performance report lines printed so far (Kafka's format, either kind of node).
    pub fn report_lines(&self) -> usize {
        self.stdout_lines()
            .iter()
            .filter(|l| l.starts_with("Throughput (bytes/second):"))
            .count()
    }

    /// `kill -9`, then reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait (bounded) for the exit status; `kill -9` when the time is up.
    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        // SAFETY: sending a signal to our own child's PID.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// SIGSTOP (`pause`) or SIGCONT (`resume`) to the process.
    pub fn signal(&self, signal: i32) {
        if let Some(pid) = self.pid() {
            // SAFETY: sending a signal to our own child's PID.
            unsafe {
                libc::kill(pid as i32, signal);
            }
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One running `kraft-server` with its stdout lines collected.
pub struct Server {
    pub node_id: i32,
    pub binary: PathBuf,
    pub config: PathBuf,
    pub log_dir: PathBuf,
    process: Process,
}

impl Server {
    pub fn start(
        binary: &Path,
        node_id: i32,
        config: &Path,
        log_dir: &Path,
        args: &[&str],
    ) -> Server {
        wait_listener_port_free(config);
        let mut command = Command::new(binary);
        command
            .arg("--config")
            .arg(config)
            .args(args)
            .env("RUST_LOG", "info");
        let process =
            Process::spawn(command, &log_dir.with_extension("stderr")).expect("start kraft-server");
        Server {
            node_id,
            binary: binary.to_path_buf(),
            config: config.to_path_buf(),
            log_dir: log_dir.to_path_buf(),
            process,
        }
    }

    /// Starts the same node again (same binary, config and log dir).
    pub fn restart(&mut self, args: &[&str]) {
        self.kill();
        *self = Server::start(
            &self.binary.clone(),
            self.node_id,
            &self.config.clone(),
            &self.log_dir.clone(),
            args,
        );
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.process.stdout_lines()
    }

    pub fn stderr(&self) -> String {
        self.process.stderr()
    }

    /// Waits until a stdout line satisfies `pred`, at most `timeout`.
    pub fn wait_for_line(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        self.process.wait_for_line(timeout, pred)
    }

    /// Number of report lines printed so far.
    pub fn report_lines(&self) -> usize {
        self.process.report_lines()
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// SIGSTOP, and waits (bounded) until every thread of the process is stopped, so that its
    /// files no longer change: sockets stay open, nothing is answered or written.
    pub fn pause(&self) {
        self.process.signal(libc::SIGSTOP);
        let pid = self.pid().expect("a running process to pause");
        let stopped = poll(Duration::from_secs(5), || {
            all_threads_stopped(pid).then_some(())
        });
        assert!(
            stopped.is_some(),
            "node {} (pid {pid}) did not stop on SIGSTOP within 5 s",
            self.node_id
        );
    }

    /// SIGCONT after `pause`.
    pub fn resume(&self) {
        self.process.signal(libc::SIGCONT);
    }

    /// SIGTERM and wait (bounded) for the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.process.terminate(timeout)
    }

    pub fn partition_dir(&self) -> PathBuf {
        self.log_dir.join("__raft_performance_test-0")
    }
}

/// Waits (bounded) until the port of the config's `listeners` can be listened on again: a server
/// killed with `kill -9` keeps its listening socket a moment after it is reaped (the kernel tears
/// its io_uring down afterwards), and a restart at once would exit with "Address already in use".
fn wait_listener_port_free(config: &Path) {
    let Some(port) = listener_port(config) else {
        return;
    };
    let free = poll(Duration::from_secs(30), || {
        TcpListener::bind(("127.0.0.1", port)).ok().map(drop)
    });
    assert!(
        free.is_some(),
        "port {port} of {} still in use after 30 s",
        config.display()
    );
}

/// The port of the first `listeners` entry of a server config (`NAME://host:port,...`).
fn listener_port(config: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(config).ok()?;
    let value = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("listeners="))?;
    let first = value.split(',').next()?;
    first
        .rsplit_once(':')?
        .1
        .trim()
        .parse()
        .ok()
        .filter(|&p| p != 0)
}

/// Whether every thread of `pid` is in the stopped state (`T` in `/proc/<pid>/task/*/stat`).
pub(crate) fn all_threads_stopped(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    let mut threads = 0;
    for task in tasks.filter_map(Result::ok) {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            return false;
        };
        // "tid (comm) STATE ...": the name may hold spaces and parentheses, the state follows
        // the last ')'.
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        if state != Some('T') {
            return false;
        }
        threads += 1;
    }
    threads > 0
}

/// Runs the `kraft-quorum` binary and returns its stdout if it succeeded (killed by PID when it
/// outlives its own `--timeout-ms` by far, e.g. stuck on a peer that accepts and never answers).
pub fn describe(binary: &Path, servers: &[String], view: &str) -> Option<String> {
    let mut command = Command::new(binary);
    command
        .arg("--bootstrap-server")
        .arg(servers.join(","))
        .arg("--timeout-ms")
        .arg("1000")
        .arg("describe")
        .arg(view);
    let output = run_bounded(command, Duration::from_secs(30));
    output.success.then_some(output.stdout)
}

/// `(leader id, epoch, high watermark)` from `describe --status`.
pub fn quorum_status(binary: &Path, servers: &[String]) -> Option<(i32, i32, i64)> {
    let text = describe(binary, servers, "--status")?;
    let field = |name: &str| -> Option<i64> {
        text.lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .last()?
            .parse()
            .ok()
    };
    Some((
        field("LeaderId:")? as i32,
        field("LeaderEpoch:")? as i32,
        field("HighWatermark:")?,
    ))
}

/// Polls `f` every 100 ms until it returns `Some`, at most `timeout`.
pub fn poll<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A child's pipe read line by line on a thread of its own, so that a test waits for the next line
/// with `recv_timeout` instead of blocking forever on a child that hangs. The channel closes when
/// the pipe does (the child exited) or a line is not UTF-8.
pub fn line_channel(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// The placement of config/kraft-quorum-N.properties: all roles of a member on one executor,
/// which may run on any CPU this process may use (the kernel balances the members).
pub fn member_placement() -> String {
    let cpus = kraft_config::HostCpus::detect();
    let set = cpus
        .ids()
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",");
    format!("kraft.cpu.raft={set}\nkraft.cpu.network={set}\nkraft.cpu.log={set}\n")
}
