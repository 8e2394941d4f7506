//! `kraft-storage` on the real binary: `random-uuid`'s shape, `format --standalone`,
//! `--initial-controllers`, `--no-initial-controllers`, every log directory, Kafka's refusals and
//! exit codes; and the server's start on what it formatted (the formatted cluster id, the
//! unformatted-directory error of a dynamic quorum).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kraft_bin::server::read_bootstrap_control;
use kraft_interop::kafka::run_bounded;
use kraft_interop::ToolOutput;
use kraft_records::{ControlRecord, Uuid, VoterEndpoint, VoterRecord, VotersRecord};

const RUN_TIMEOUT: Duration = Duration::from_secs(30);
const PARTITION: &str = "__raft_performance_test-0";
const CHECKPOINT: &str = "00000000000000000000-0000000000.checkpoint";

fn run(binary: &str, args: &[&str]) -> ToolOutput {
    let mut command = Command::new(binary);
    command.args(args).env_remove("RUST_LOG");
    let output = run_bounded(command, RUN_TIMEOUT);
    assert!(!output.timed_out, "{binary} {args:?} still running");
    output
}

fn storage(args: &[&str]) -> ToolOutput {
    run(env!("CARGO_BIN_EXE_kraft-storage"), args)
}

/// A controller config with `quorum` (voters or bootstrap servers) and `dirs` lines.
fn write_config(dir: &Path, node_id: i32, port: u16, quorum: &str, dirs: &str) -> PathBuf {
    let text = format!(
        "node.id={node_id}\nprocess.roles=controller\nlisteners=CONTROLLER://:{port}\n\
         controller.listener.names=CONTROLLER\n{quorum}\n{dirs}\n"
    );
    let path = dir.join(format!("node-{node_id}.properties"));
    std::fs::write(&path, text).unwrap();
    path
}

fn dynamic_config(root: &Path, node_id: i32, port: u16) -> (PathBuf, PathBuf) {
    let logs = root.join(format!("logs-{node_id}"));
    let quorum = format!("controller.quorum.bootstrap.servers=localhost:{port}");
    let dirs = format!("log.dirs={}", logs.display());
    (write_config(root, node_id, port, &quorum, &dirs), logs)
}

fn meta_properties(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join("meta.properties")).unwrap();
    let mut pairs: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    pairs.sort();
    pairs
}

fn meta(dir: &Path, key: &str) -> String {
    meta_properties(dir)
        .into_iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("{key} missing from {}/meta.properties", dir.display()))
        .1
}

fn voter(id: i32, directory_id: Uuid, host: &str, port: u16) -> VoterRecord {
    VoterRecord {
        voter_id: id,
        voter_directory_id: directory_id,
        endpoints: vec![VoterEndpoint {
            name: "CONTROLLER".into(),
            host: host.into(),
            port,
        }],
        kraft_version_min: 0,
        kraft_version_max: 1,
    }
}

fn bootstrap_records(voters: Vec<VoterRecord>) -> Vec<(i64, ControlRecord)> {
    vec![
        (
            -1,
            ControlRecord::KRaftVersion {
                version: 0,
                kraft_version: 1,
            },
        ),
        (
            -1,
            ControlRecord::KRaftVoters(VotersRecord { version: 0, voters }),
        ),
    ]
}

fn assert_refused(output: &ToolOutput, message: &str) {
    assert_eq!(output.code, Some(1), "{output:?}");
    assert!(
        output.stderr.contains(message),
        "expected `{message}` on stderr:\n{}",
        output.stderr
    );
}

#[test]
fn random_uuid_prints_distinct_kafka_uuids() {
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..10 {
        let output = storage(&["random-uuid"]);
        assert_eq!(output.code, Some(0), "{output:?}");
        let text = output.stdout.trim();
        assert_eq!(text.len(), 22, "{text}");
        assert!(!text.starts_with('-'), "{text}");
        let id: Uuid = text.parse().unwrap();
        // Java's UUID.randomUUID: version 4, IETF variant; never one of Kafka's reserved ids.
        assert_eq!(id.0[6] >> 4, 4, "{text}");
        assert_eq!(id.0[8] >> 6, 2, "{text}");
        assert!(id.0[..8].iter().any(|&b| b != 0), "{text}");
        assert!(seen.insert(id), "{text} twice");
    }
}

#[test]
fn format_standalone_writes_meta_properties_and_bootstrap_checkpoint() {
    let root = tempfile::tempdir().unwrap();
    let (config, logs) = dynamic_config(root.path(), 1, 19_301);
    let cluster = "MkU3OEVBNTcwNTJENDM2Qk";
    let config_arg = config.to_str().unwrap();
    let output = storage(&[
        "format",
        "--config",
        config_arg,
        "--cluster-id",
        cluster,
        "--standalone",
    ]);
    assert_eq!(output.code, Some(0), "{output:?}");
    assert_eq!(
        output.stdout.trim(),
        format!(
            "Formatting dynamic metadata voter directory {} with kraft.version 1.",
            logs.display()
        )
    );
    let keys: Vec<String> = meta_properties(&logs).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["cluster.id", "directory.id", "node.id", "version"]);
    assert_eq!(meta(&logs, "version"), "1");
    assert_eq!(meta(&logs, "cluster.id"), cluster);
    assert_eq!(meta(&logs, "node.id"), "1");
    let directory_id: Uuid = meta(&logs, "directory.id").parse().unwrap();
    let partition = logs.join(PARTITION);
    assert!(partition.join(CHECKPOINT).is_file());
    assert_eq!(
        read_bootstrap_control(&partition).unwrap(),
        bootstrap_records(vec![voter(1, directory_id, "localhost", 19_301)])
    );
    let names: Vec<_> = std::fs::read_dir(&partition)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, [CHECKPOINT], "no temporary file is left");

    // Formatted already: refused with Kafka's words, unless --ignore-formatted.
    let again = storage(&["format", "-c", config_arg, "-t", cluster, "-s"]);
    assert_refused(
        &again,
        &format!(
            "Log directory {} is already formatted. Use --ignore-formatted to ignore this \
             directory and format the others.",
            logs.display()
        ),
    );
    let ignored = storage(&["format", "-c", config_arg, "-t", cluster, "-s", "-g"]);
    assert_eq!(ignored.code, Some(0), "{ignored:?}");
    assert_eq!(
        ignored.stdout.trim(),
        "All of the log directories are already formatted."
    );
    assert_eq!(meta(&logs, "directory.id"), directory_id.to_string());
    // Another cluster id is refused even with --ignore-formatted (Kafka's verify).
    let other = storage(&["format", "-c", config_arg, "-t", "other", "-s", "-g"]);
    assert_refused(&other, &format!("Expected other, but read {cluster}"));
}

#[test]
fn format_standalone_names_the_advertised_controller_listener() {
    let root = tempfile::tempdir().unwrap();
    let logs = root.path().join("logs");
    let dirs = format!(
        "log.dirs={}\nadvertised.listeners=CONTROLLER://ctl-7.example:29093",
        logs.display()
    );
    let quorum = "controller.quorum.bootstrap.servers=ctl-7.example:29093";
    let config = write_config(root.path(), 7, 19_310, quorum, &dirs);
    let output = storage(&["format", "-c", config.to_str().unwrap(), "-t", "C", "-s"]);
    assert_eq!(output.code, Some(0), "{output:?}");
    let directory_id: Uuid = meta(&logs, "directory.id").parse().unwrap();
    assert_eq!(
        read_bootstrap_control(&logs.join(PARTITION)).unwrap(),
        bootstrap_records(vec![voter(7, directory_id, "ctl-7.example", 29_093)])
    );
}

#[test]
fn format_initial_controllers_uses_the_given_directory_id() {
    let root = tempfile::tempdir().unwrap();
    let ids: Vec<Uuid> = (1..=3u64).map(|i| Uuid::from_parts(i << 60, i)).collect();
    let list = format!(
        "3@host-c:9003:{},1@host-a:9001:{},2@[::1]:9002:{}",
        ids[2], ids[0], ids[1]
    );
    let expected = bootstrap_records(vec![
        voter(1, ids[0], "host-a", 9001),
        voter(2, ids[1], "::1", 9002),
        voter(3, ids[2], "host-c", 9003),
    ]);
    let (config, logs) = dynamic_config(root.path(), 2, 19_302);
    let output = storage(&[
        "format",
        "-c",
        config.to_str().unwrap(),
        "-t",
        "C",
        "--initial-controllers",
        &list,
    ]);
    assert_eq!(output.code, Some(0), "{output:?}");
    assert!(
        output.stdout.contains("dynamic metadata voter directory"),
        "{output:?}"
    );
    assert_eq!(meta(&logs, "directory.id"), ids[1].to_string());
    assert_eq!(
        read_bootstrap_control(&logs.join(PARTITION)).unwrap(),
        expected
    );

    // A node outside the list (a later observer or joiner) gets the same checkpoint and a
    // directory id of its own, as Kafka's "dynamic metadata directory".
    let (config, logs) = dynamic_config(root.path(), 4, 19_304);
    let output = storage(&[
        "format",
        "-c",
        config.to_str().unwrap(),
        "-t",
        "C",
        "-I",
        &list,
    ]);
    assert_eq!(output.code, Some(0), "{output:?}");
    assert!(
        output
            .stdout
            .contains("Formatting dynamic metadata directory"),
        "{output:?}"
    );
    let own: Uuid = meta(&logs, "directory.id").parse().unwrap();
    assert!(!ids.contains(&own));
    assert_eq!(
        read_bootstrap_control(&logs.join(PARTITION)).unwrap(),
        expected
    );
}

#[test]
fn format_without_initial_controllers_writes_meta_properties_in_every_log_dir() {
    let root = tempfile::tempdir().unwrap();
    let (data_a, data_b, metadata) = (
        root.path().join("a"),
        root.path().join("b"),
        root.path().join("m"),
    );
    let dirs = format!(
        "log.dirs={},{}\nmetadata.log.dir={}",
        data_b.display(),
        data_a.display(),
        metadata.display()
    );
    let quorum = "controller.quorum.bootstrap.servers=localhost:19305";
    let config = write_config(root.path(), 5, 19_305, quorum, &dirs);
    let output = storage(&["format", "-c", config.to_str().unwrap(), "-t", "C", "-N"]);
    assert_eq!(output.code, Some(0), "{output:?}");
    let lines: Vec<&str> = output.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "Formatting data directory {} with kraft.version 0.",
                data_a.display()
            ),
            format!(
                "Formatting data directory {} with kraft.version 0.",
                data_b.display()
            ),
            format!(
                "Formatting metadata directory {} with kraft.version 0.",
                metadata.display()
            ),
        ]
    );
    let ids: std::collections::BTreeSet<String> = [&data_a, &data_b, &metadata]
        .iter()
        .map(|d| meta(d, "directory.id"))
        .collect();
    assert_eq!(ids.len(), 3, "every directory has its own id");
    assert!(
        !metadata.join(PARTITION).exists(),
        "no checkpoint without voters"
    );
}

#[test]
fn format_refusals_carry_kafkas_messages_and_exit_1() {
    let root = tempfile::tempdir().unwrap();
    let (dynamic, dynamic_logs) = dynamic_config(root.path(), 1, 19_306);
    let dynamic = dynamic.to_str().unwrap();
    let static_logs = root.path().join("static");
    let static_config = write_config(
        root.path(),
        2,
        19_307,
        "controller.quorum.voters=2@localhost:19307",
        &format!("log.dirs={}", static_logs.display()),
    );
    let static_config = static_config.to_str().unwrap();
    let cases: [(&[&str], &str); 8] = [
        (
            &["format", "-c", dynamic, "-t", "C"],
            "Because controller.quorum.voters is not set on this controller, you must specify \
             one of the following: --standalone, --initial-controllers, or \
             --no-initial-controllers.",
        ),
        (
            &["format", "-c", static_config, "-t", "C", "--standalone"],
            "You cannot specify controller.quorum.voters and format the node with \
             --initial-controllers or --standalone.",
        ),
        (
            &["format", "-c", dynamic, "-t", "C", "-I", "1@h:1"],
            "No colon following port could be found.",
        ),
        (
            &[
                "format",
                "-c",
                dynamic,
                "-t",
                "C",
                "-s",
                "-I",
                "1@h:1:AAAAAAAAAAAAAAAAAAAAAA",
            ],
            "argument --initial-controllers/-I: not allowed with argument --standalone/-s",
        ),
        (
            &[
                "format",
                "-c",
                dynamic,
                "-t",
                "C",
                "-I",
                "1@h:1:AAAAAAAAAAAAAAAAAAAAAQ",
            ],
            "Invalid reserved directory ID AAAAAAAAAAAAAAAAAAAAAQ for node 1",
        ),
        (
            &["format", "-c", dynamic, "-s"],
            "argument --cluster-id/-t is required",
        ),
        (
            &["format", "-c", dynamic, "-t", "a b", "-s"],
            "Cluster id 'a b' is not usable",
        ),
        (
            &["format", "-c", "/nonexistent/x.properties", "-t", "C", "-s"],
            "kraft-storage: invalid configuration",
        ),
    ];
    for (args, message) in cases {
        assert_refused(&storage(args), message);
    }
    assert!(
        !dynamic_logs.exists() && !static_logs.exists(),
        "a refusal writes nothing"
    );
    // A static quorum may still be formatted (its cluster id), with or without -N.
    let output = storage(&["format", "-c", static_config, "-t", "C"]);
    assert_eq!(output.code, Some(0), "{output:?}");
    assert_eq!(meta(&static_logs, "cluster.id"), "C");
}

#[test]
fn server_refuses_an_unformatted_dynamic_directory_naming_the_command() {
    let root = tempfile::tempdir().unwrap();
    let (config, logs) = dynamic_config(root.path(), 1, 19_308);
    let config = config.to_str().unwrap();
    let output = run(env!("CARGO_BIN_EXE_kraft-server"), &["--config", config]);
    assert_eq!(output.code, Some(1), "{output:?}");
    let line = output
        .stderr
        .lines()
        .find(|l| l.starts_with("kraft-server: "))
        .unwrap_or_else(|| panic!("no kraft-server: line in\n{}", output.stderr));
    for part in [
        format!("{} is not formatted", logs.display()),
        format!("run bin/kraft-storage.sh format --config {config} --cluster-id ID"),
        "(--standalone | --initial-controllers ID@HOST:PORT:DIRECTORY_ID,... | \
         --no-initial-controllers)"
            .to_string(),
    ] {
        assert!(line.contains(&part), "`{part}` missing from: {line}");
    }
    assert!(!logs.join("meta.properties").exists());
}

#[test]
fn server_runs_with_the_formatted_cluster_id() {
    let root = tempfile::tempdir().unwrap();
    let port = kraft_interop::process::free_ports(1)[0];
    let logs = root.path().join("logs");
    let config = write_config(
        root.path(),
        1,
        port,
        &format!("controller.quorum.voters=1@127.0.0.1:{port}"),
        &format!("log.dirs={}", logs.display()),
    );
    let cluster = "Zm9ybWF0dGVkQ2x1c3Rlcg";
    let output = storage(&["format", "-c", config.to_str().unwrap(), "-t", cluster]);
    assert_eq!(output.code, Some(0), "{output:?}");
    let directory_id = meta(&logs, "directory.id");
    let mut server = kraft_interop::process::Server::start(
        Path::new(env!("CARGO_BIN_EXE_kraft-server")),
        1,
        &config,
        &logs,
        &[],
    );
    let wanted = format!("cluster_id={cluster}");
    let seen = kraft_interop::process::poll(Duration::from_secs(30), || {
        server.stderr().contains(&wanted).then_some(())
    });
    let stderr = server.stderr();
    let status = server.terminate(Duration::from_secs(20));
    assert!(
        seen.is_some(),
        "no `{wanted}` in the server's log:\n{stderr}"
    );
    assert!(status.is_some_and(|s| s.success()), "{stderr}");
    assert!(
        stderr.contains(&format!("directory_id={directory_id}")),
        "{stderr}"
    );
    assert_eq!(
        meta(&logs, "cluster.id"),
        cluster,
        "the server keeps the formatted file"
    );
}

/// A format cut between the checkpoint and `meta.properties` (Kafka's order) leaves a directory
/// that is still unformatted: formatting it again replaces the checkpoint whole.
#[test]
fn a_checkpoint_left_without_meta_properties_is_replaced() {
    let root = tempfile::tempdir().unwrap();
    let (config, logs) = dynamic_config(root.path(), 1, 19_311);
    let partition = logs.join(PARTITION);
    std::fs::create_dir_all(&partition).unwrap();
    std::fs::write(partition.join(CHECKPOINT), b"torn").unwrap();
    let output = storage(&["format", "-c", config.to_str().unwrap(), "-t", "C", "-s"]);
    assert_eq!(output.code, Some(0), "{output:?}");
    let directory_id: Uuid = meta(&logs, "directory.id").parse().unwrap();
    assert_eq!(
        read_bootstrap_control(&partition).unwrap(),
        bootstrap_records(vec![voter(1, directory_id, "localhost", 19_311)])
    );
}
