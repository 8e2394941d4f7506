//! The binary's command-line contract: usage on --help, exit code 2 and a
//! message naming the file and key for bad arguments or configs.

use std::process::{Command, Output};

fn kraft_server(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kraft-server"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("kraft-server runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_prints_usage_on_stdout_and_exits_zero() {
    for flag in ["--help", "-h"] {
        let output = kraft_server(&[flag]);
        assert_eq!(output.status.code(), Some(0));
        let stdout = text(&output.stdout);
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
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
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
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
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
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("bad-voter.properties:4"), "{stderr}");
    assert!(stderr.contains("`1-localhost:9093`"), "{stderr}");
}

#[test]
fn missing_config_file_exits_2_naming_it() {
    let output = kraft_server(&["--config", "/nonexistent/dir/kraft.properties"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("/nonexistent/dir/kraft.properties"));
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_kraft-server"))
        .args(["--config", path.to_str().unwrap()])
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kraft-server runs");
    // Bounded wait: a node that ignored the failed listener would run until killed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    let status = status.unwrap_or_else(|| panic!("still running after 30 s:\n{stderr}"));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
    drop(taken);
}
