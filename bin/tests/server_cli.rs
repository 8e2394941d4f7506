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
