//! The binary's command-line contract: usage on --help, exit code 2 and a
//! message naming the file and key for bad arguments or configs.

use std::process::Command;
use std::time::Duration;

use kraft_interop::kafka::run_bounded;
use kraft_interop::ToolOutput;

/// How long a rejected start may take; a server that accepted a bad config (or ignored a failed
/// listener) would run until killed, so the wait is bounded and the process killed by PID.
const EXIT_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs kraft-server to its exit, failing the test when it is still running at the deadline.
fn kraft_server(args: &[&str]) -> ToolOutput {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kraft-server"));
    command.args(args).env_remove("RUST_LOG");
    let output = run_bounded(command, EXIT_TIMEOUT);
    assert!(
        !output.timed_out,
        "kraft-server {args:?} still running after {EXIT_TIMEOUT:?}:\n{}",
        output.stderr
    );
    output
}

#[test]
fn help_prints_usage_on_stdout_and_exits_zero() {
    for flag in ["--help", "-h"] {
        let output = kraft_server(&[flag]);
        assert_eq!(output.code, Some(0));
        let stdout = &output.stdout;
        for option in ["--config", "--throughput", "--record-size"] {
            assert!(stdout.contains(option), "{option} missing from {stdout}");
        }
    }
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    for args in [
        &[][..],
        &["--config"][..],
        &["--config", "x", "--throughput", "many"][..],
        &["--config", "x", "--bogus"][..],
    ] {
        let output = kraft_server(args);
        assert_eq!(output.code, Some(2), "{args:?}");
        let stderr = &output.stderr;
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn config_without_node_id_exits_2_naming_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-node-id.properties");
    std::fs::write(
        &path,
        "listeners=PLAINTEXT://localhost:9092\ncontroller.listener.names=PLAINTEXT\ncontroller.quorum.voters=0@localhost:9092\n",
    )
    .unwrap();
    let output = kraft_server(&["--config", path.to_str().unwrap()]);
    assert_eq!(output.code, Some(2));
    let stderr = &output.stderr;
    assert!(stderr.contains("node.id"), "{stderr}");
    assert!(stderr.contains("no-node-id.properties"), "{stderr}");
}

#[test]
fn malformed_voter_exits_2_quoting_the_entry_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad-voter.properties");
    std::fs::write(
        &path,
        "node.id=0\nlisteners=PLAINTEXT://localhost:9092\ncontroller.listener.names=PLAINTEXT\ncontroller.quorum.voters=0@localhost:9092,1-localhost:9093\n",
    )
    .unwrap();
    let output = kraft_server(&["--config", path.to_str().unwrap()]);
    assert_eq!(output.code, Some(2));
    let stderr = &output.stderr;
    assert!(stderr.contains("bad-voter.properties:4"), "{stderr}");
    assert!(stderr.contains("`1-localhost:9093`"), "{stderr}");
}

#[test]
fn missing_config_file_exits_2_naming_it() {
    let output = kraft_server(&["--config", "/nonexistent/dir/kraft.properties"]);
    assert_eq!(output.code, Some(2));
    assert!(output.stderr.contains("/nonexistent/dir/kraft.properties"));
}

#[test]
fn listener_port_in_use_exits_1_naming_the_address() {
    // Hold the port so the server cannot bind it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.properties");
    std::fs::write(
        &path,
        format!(
            "node.id=1\nlisteners=PLAINTEXT://127.0.0.1:{port}\ncontroller.listener.names=PLAINTEXT\n\
             controller.quorum.voters=1@127.0.0.1:{port}\nlog.dirs={}\n",
            dir.path().join("logs").display()
        ),
    )
    .unwrap();
    let output = kraft_server(&["--config", path.to_str().unwrap()]);
    let stderr = &output.stderr;
    assert_eq!(output.code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
    drop(taken);
}
