//! Issue 16 on real processes, the runtime's side: a dynamic single-node quorum formatted with
//! `kraft-storage format --standalone` elects itself and commits at kraft.version 1, writes its
//! quorum-state in Kafka's version-1 shape (which Kafka's own `FileQuorumStateStore` reads), and
//! keeps its voter set across a restart and a `kill -9` (from the checkpoint and the log), and
//! through snapshots once retention deleted the checkpoint; an observer started with only
//! `controller.quorum.bootstrap.servers` finds the leader and replicates its log. Voter changes:
//! `dynamic_quorum_voter_changes.rs`.

mod support;

use std::path::Path;
use std::time::Duration;

use kraft_interop::kafka::{run_bounded, versions_under_test, Kafka};
use kraft_records::ControlRecord;
use support::dynamic::{
    directory_id, format, logged_voter_sets, start_leader, storage, write_config, WAIT,
};
use support::{free_ports, poll, quorum_status, read_log, read_log_to};

#[test]
fn a_standalone_dynamic_node_leads_at_kraft_version_1_and_keeps_its_voters() {
    let root = tempfile::tempdir().unwrap();
    let port = free_ports(1)[0];
    let (config, log_dir) = write_config(root.path(), 1, port, port, "");
    let cluster_id = storage(&["random-uuid"]).trim().to_string();
    format(&config, &cluster_id, "--standalone");
    let mut server = start_leader(1, &config, &log_dir);
    let servers = [format!("127.0.0.1:{port}")];
    let (leader, epoch, _) = quorum_status(&servers).expect("DescribeQuorum");
    assert_eq!(leader, 1);
    let status = server.terminate(Duration::from_secs(15));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        server.stderr()
    );

    // The quorum-state of kraft.version 1: the voted directory id, no voter list.
    let partition = server.partition_dir();
    let quorum_state = std::fs::read_to_string(partition.join("quorum-state")).unwrap();
    assert!(
        quorum_state.ends_with("\"data_version\":1}"),
        "{quorum_state}"
    );
    assert!(!quorum_state.contains("currentVoters"), "{quorum_state}");
    let dir_id = directory_id(&log_dir);
    assert!(
        quorum_state.contains(&format!("\"leaderId\":1,\"leaderEpoch\":{epoch},")),
        "{quorum_state}"
    );
    kafka_reads_quorum_state(&partition, epoch, &quorum_state);
    let first = read_log(&partition);
    assert!(first.len() > 5, "only {} batches", first.len());

    // Restart: the voter set comes back from the checkpoint and the log; it leads again.
    let mut server = start_leader(1, &config, &log_dir);
    let (leader, restarted_epoch, high_watermark) =
        quorum_status(&servers).expect("DescribeQuorum");
    assert_eq!(leader, 1);
    assert!(restarted_epoch > epoch, "a restart starts a new epoch");
    // kill -9, then once more: still the only voter, every committed batch kept.
    server.kill();
    let second = read_log_to(&partition, high_watermark);
    assert_eq!(
        &second[..first.len()],
        &first[..],
        "a restart changed the log"
    );
    let mut server = start_leader(1, &config, &log_dir);
    let status = server.terminate(Duration::from_secs(15));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        server.stderr()
    );
    let third = read_log(&partition);
    assert_eq!(&third[..first.len()], &first[..]);
    for set in logged_voter_sets(&third) {
        assert_eq!(set, [1], "a Voters record with another voter set");
    }
    assert!(
        quorum_state_field(&partition, "votedDirectoryId")
            .is_some_and(|d| d == dir_id || d == "AAAAAAAAAAAAAAAAAAAAAA"),
        "voted directory id is neither ours nor none"
    );
}

#[test]
fn an_observer_with_only_bootstrap_servers_finds_the_leader_and_replicates() {
    let root = tempfile::tempdir().unwrap();
    let ports = free_ports(2);
    let (leader_config, leader_dir) = write_config(root.path(), 1, ports[0], ports[0], "");
    let (observer_config, observer_dir) = write_config(root.path(), 2, ports[1], ports[0], "");
    let cluster_id = storage(&["random-uuid"]).trim().to_string();
    format(&leader_config, &cluster_id, "--standalone");
    format(&observer_config, &cluster_id, "--no-initial-controllers");
    let mut leader = start_leader(1, &leader_config, &leader_dir);
    let mut observer = support::start(2, &observer_config, &observer_dir, &[]);
    let following = observer.wait_for_line(WAIT, |l| l.starts_with("Following leader 1"));
    assert!(
        following.is_some(),
        "the observer found no leader; stderr:\n{}",
        observer.stderr()
    );
    let voters = observer.wait_for_line(WAIT, |l| l.contains("kraft.version 1, voters [1]"));
    assert!(
        voters.is_some_and(|l| l.contains("observer")),
        "the observer did not learn the voter set; stderr:\n{}",
        observer.stderr()
    );
    // It keeps up: its log grows past what the leader had committed a moment ago.
    let servers = [format!("127.0.0.1:{}", ports[0])];
    let (_, _, high_watermark) = quorum_status(&servers).expect("DescribeQuorum");
    let caught_up = poll(WAIT, || {
        let log = read_log_to(&observer.partition_dir(), 0);
        log.last()
            .is_some_and(|b| b.last_offset >= high_watermark)
            .then_some(())
    });
    assert!(
        caught_up.is_some(),
        "observer behind; stderr:\n{}",
        observer.stderr()
    );
    let status = observer.terminate(Duration::from_secs(15));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        observer.stderr()
    );
    let status = leader.terminate(Duration::from_secs(15));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        leader.stderr()
    );
    let leader_log = read_log(&leader.partition_dir());
    let observer_log = read_log(&observer.partition_dir());
    assert!(observer_log.len() > 1);
    assert_eq!(
        &leader_log[..observer_log.len()],
        &observer_log[..],
        "the observer's log is not the leader's"
    );
}

/// Snapshots at kraft.version 1 hold the voter set (KRaftVersion and Voters after the header):
/// once retention has deleted the bootstrap checkpoint and the log's first segment, a restarted
/// node still knows it is the only voter, and leads.
#[test]
fn snapshots_carry_the_voter_set_through_retention_and_restart() {
    let root = tempfile::tempdir().unwrap();
    let port = free_ports(1)[0];
    let small = "metadata.log.segment.min.bytes=1048576\nmetadata.log.segment.bytes=1048576\n\
                 metadata.max.retention.bytes=2097152\n\
                 metadata.log.max.record.bytes.between.snapshots=524288";
    let (config, log_dir) = write_config(root.path(), 1, port, port, small);
    let cluster_id = storage(&["random-uuid"]).trim().to_string();
    format(&config, &cluster_id, "--standalone");
    let load = ["--throughput", "20000", "--record-size", "100"];
    let server = support::start(1, &config, &log_dir, &load);
    let partition = server.partition_dir();
    let bootstrap = partition.join("00000000000000000000-0000000000.checkpoint");
    let first_segment = partition.join("00000000000000000000.log");
    let cleaned = poll(Duration::from_secs(60), || {
        (!bootstrap.exists() && !first_segment.exists()).then_some(())
    });
    assert!(
        cleaned.is_some(),
        "retention kept the checkpoint or the first segment; stderr:\n{}",
        server.stderr()
    );
    let mut server = server;
    let status = server.terminate(Duration::from_secs(15));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        server.stderr()
    );
    let (end_offset, latest) = support::snapshot_state::snapshot_files(&partition)
        .into_iter()
        .last()
        .expect("a snapshot");
    let id = kraft_segment_log::SnapshotId {
        end_offset,
        epoch: kraft_segment_log::parse_snapshot_file_name(
            latest.file_name().unwrap().to_str().unwrap(),
        )
        .unwrap()
        .0
        .epoch,
    };
    let contents = kraft_perf::read_snapshot_contents(&latest, id).unwrap();
    let held: Vec<String> = contents
        .kraft_control
        .iter()
        .map(|(offset, record)| match record {
            ControlRecord::KRaftVersion { kraft_version, .. } => {
                format!("{offset}: kraft.version {kraft_version}")
            }
            ControlRecord::KRaftVoters(v) => format!(
                "{offset}: voters {:?}",
                v.voters.iter().map(|v| v.voter_id).collect::<Vec<_>>()
            ),
            other => format!("{offset}: {other:?}"),
        })
        .collect();
    assert_eq!(
        held,
        ["1: kraft.version 1", "2: voters [1]"],
        "{}",
        latest.display()
    );
    let mut server = start_leader(1, &config, &log_dir);
    let status = server.terminate(Duration::from_secs(15));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        server.stderr()
    );
}

/// The value of `field` in the quorum-state file, if it is a string.
fn quorum_state_field(partition: &Path, field: &str) -> Option<String> {
    let text = std::fs::read_to_string(partition.join("quorum-state")).ok()?;
    let start = text.find(&format!("\"{field}\":\""))? + field.len() + 4;
    let end = start + text[start..].find('"')?;
    Some(text[start..end].to_string())
}

/// Kafka's `FileQuorumStateStore` (the class Kafka's nodes read the file with) reads our
/// version-1 file with the epoch, leader and voted key we wrote.
fn kafka_reads_quorum_state(partition: &Path, epoch: i32, ours: &str) {
    const PROBE: &str = r#"
import java.io.File;
import org.apache.kafka.raft.ElectionState;
import org.apache.kafka.raft.FileQuorumStateStore;

public class QuorumStateProbe {
    public static void main(String[] args) {
        ElectionState state = new FileQuorumStateStore(new File(args[0]))
            .readElectionState().orElseThrow();
        String voted = state.optionalVotedKey()
            .map(k -> k.id() + "/" + k.directoryId().map(Object::toString).orElse("none"))
            .orElse("none");
        System.out.println("epoch=" + state.epoch() + " leader=" + state.leaderIdOrSentinel()
            + " voted=" + voted);
    }
}
"#;
    let test = "a_standalone_dynamic_node_leads_at_kraft_version_1_and_keeps_its_voters";
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate(test, &version) else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("QuorumStateProbe.java");
        std::fs::write(&source, PROBE).unwrap();
        let mut command = kafka.java(256, source.to_str().unwrap());
        command.arg(partition.join("quorum-state"));
        let output = run_bounded(command, Duration::from_secs(120));
        assert!(
            output.success,
            "Kafka {version} refused our quorum-state {ours}: {}",
            output.stderr
        );
        let voted = match quorum_state_field(partition, "votedDirectoryId") {
            Some(dir) if !ours.contains("\"votedId\":-1") => {
                let id = ours.split("\"votedId\":").nth(1).unwrap();
                let id: String = id.chars().take_while(|c| c.is_ascii_digit()).collect();
                if dir == "AAAAAAAAAAAAAAAAAAAAAA" {
                    format!("{id}/none")
                } else {
                    format!("{id}/{dir}")
                }
            }
            _ => "none".to_string(),
        };
        let expected = format!("epoch={epoch} leader=1 voted={voted}");
        assert!(
            output.stdout.contains(&expected),
            "Kafka {version} read {} from {ours}, expected {expected}",
            output.stdout
        );
    }
}
