//! Kafka judges `kraft-storage format` both ways (skips loudly without Java; a failure under
//! `KRAFT_INTEROP_REQUIRED=1`):
//! - Kafka's `DumpLogSegments` reads the bootstrap checkpoint we write: valid batches, our
//!   offsets and CRCs, and the KRaftVersion and Voters records with our values;
//! - a checkpoint written by Kafka's own `kafka.tools.StorageTool format` (`--standalone`,
//!   `--initial-controllers`) reads back through our reader as the same records, its header and
//!   footer batches rebuilt byte for byte by our builders (Kafka 4.x's metadata bootstrap records
//!   in between are data batches our reader skips), and its `meta.properties` passes our
//!   formatter's checks (`--ignore-formatted` finds it formatted with the same cluster id).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kraft_bin::server::read_bootstrap_control;
use kraft_interop::dump;
use kraft_interop::kafka::{run_bounded, versions_under_test, Kafka};
use kraft_interop::ToolOutput;
use kraft_records::{
    build_snapshot_footer_batch, build_snapshot_header_batch_with_kraft_control, BatchIter,
    ControlRecord, Uuid, VoterEndpoint, VoterRecord, VotersRecord,
};

const CHECKPOINT: &str = "00000000000000000000-0000000000.checkpoint";

fn kraft_storage(args: &[&str]) -> ToolOutput {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kraft-storage"));
    command.args(args);
    run_bounded(command, Duration::from_secs(30))
}

fn kafka_storage(kafka: &Kafka, args: &[&str]) -> ToolOutput {
    let mut command = kafka.java(256, "kafka.tools.StorageTool");
    command.args(args);
    run_bounded(command, Duration::from_secs(120))
}

/// A controller config both tools accept: no static voters, one bootstrap server.
fn write_config(root: &Path, name: &str, port: u16, logs: &Path) -> PathBuf {
    let path = root.join(name);
    let text = format!(
        "node.id=1\nprocess.roles=controller\nlisteners=CONTROLLER://localhost:{port}\n\
         controller.listener.names=CONTROLLER\n\
         controller.quorum.bootstrap.servers=localhost:{port}\nlog.dirs={}\n",
        logs.display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn directory_id(logs: &Path) -> Uuid {
    let text = std::fs::read_to_string(logs.join("meta.properties")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("directory.id="))
        .expect("directory.id")
        .trim()
        .parse()
        .unwrap()
}

fn voter(id: i32, directory_id: Uuid, port: u16) -> VoterRecord {
    VoterRecord {
        voter_id: id,
        voter_directory_id: directory_id,
        endpoints: vec![VoterEndpoint {
            name: "CONTROLLER".into(),
            host: "localhost".into(),
            port,
        }],
        kraft_version_min: 0,
        kraft_version_max: 1,
    }
}

#[test]
fn kafka_dump_log_segments_reads_our_bootstrap_checkpoint() {
    for version in versions_under_test() {
        let test = "kafka_dump_log_segments_reads_our_bootstrap_checkpoint";
        let Some(kafka) = Kafka::locate(test, &version) else {
            return;
        };
        let root = tempfile::tempdir().unwrap();
        let logs = root.path().join("logs");
        let config = write_config(root.path(), "ours.properties", 19_401, &logs);
        let output = kraft_storage(&["format", "-c", config.to_str().unwrap(), "-t", "C", "-s"]);
        assert_eq!(output.code, Some(0), "{output:?}");
        let path = logs.join("__raft_performance_test-0").join(CHECKPOINT);
        let what = format!("our bootstrap checkpoint (Kafka {version})");
        let (dumped, stdout) = dump::Dump::run_snapshot(&kafka, &path, 0, 0, &what);
        dumped.assert_clean(&format!("{what}\nstdout:\n{stdout}"));
        let voters = format!(
            "KRaftVoters {{\"version\":0,\"voters\":[{{\"voterId\":1,\"voterDirectoryId\":\"{}\",\
             \"endpoints\":[{{\"name\":\"CONTROLLER\",\"host\":\"localhost\",\"port\":19401}}],\
             \"kRaftVersionFeature\":{{\"minSupportedVersion\":0,\"maxSupportedVersion\":1}}}}]}}",
            directory_id(&logs)
        );
        for record in [
            "| offset: 0 ",
            "SnapshotHeader {\"version\":0,",
            "| offset: 1 ",
            "KRaftVersion {\"version\":0,\"kRaftVersion\":1}",
            "| offset: 2 ",
            &voters,
            "| offset: 3 ",
            "SnapshotFooter {\"version\":0}",
        ] {
            assert!(
                stdout.contains(record),
                "Kafka did not print {record}:\n{stdout}"
            );
        }
        let bytes = std::fs::read(&path).unwrap();
        let ours: Vec<dump::DumpedBatch> = BatchIter::new(&bytes)
            .map(|b| {
                let b = b.unwrap();
                dump::DumpedBatch {
                    base_offset: b.header.base_offset,
                    last_offset: b.header.last_offset(),
                    epoch: b.header.partition_leader_epoch,
                    crc: b.header.crc,
                    size: b.bytes.len(),
                }
            })
            .collect();
        assert_eq!(dumped.batches, ours, "Kafka {version} stdout:\n{stdout}");
    }
}

/// Formats `logs` with Kafka's StorageTool (`quorum` flags), checks the run, and returns the
/// metadata partition directory Kafka wrote the checkpoint into.
fn kafka_format(kafka: &Kafka, config: &Path, logs: &Path, quorum: &[&str]) -> PathBuf {
    let config = config.to_str().unwrap();
    let mut args = vec!["format", "-c", config, "-t", "MkU3OEVBNTcwNTJENDM2Qk"];
    args.extend_from_slice(quorum);
    let output = kafka_storage(kafka, &args);
    assert_eq!(output.code, Some(0), "Kafka's format failed: {output:?}");
    let partition = logs.join("__cluster_metadata-0");
    assert!(partition.join(CHECKPOINT).is_file(), "{output:?}");
    partition
}

/// Our builders rebuild the control batches of Kafka's checkpoint byte for byte, given Kafka's
/// timestamps. Kafka 4.x also puts its metadata layer's bootstrap records (FeatureLevelRecords:
/// metadata.version and the other features) in data batches between them; this node has no
/// metadata layer, writes none and skips them when reading.
fn assert_rebuilt_exactly(partition: &Path, voters: &VotersRecord) {
    let kafkas = std::fs::read(partition.join(CHECKPOINT)).unwrap();
    let batches: Vec<_> = BatchIter::new(&kafkas).map(Result::unwrap).collect();
    assert!(
        batches.len() >= 2,
        "Kafka's checkpoint: header batch and footer batch"
    );
    let (first, last) = (&batches[0], &batches[batches.len() - 1]);
    for middle in &batches[1..batches.len() - 1] {
        assert!(!middle.header.is_control(), "{:?}", middle.header);
    }
    let records: Vec<_> = first.records().map(Result::unwrap).collect();
    let last_contained = match kraft_records::parse_control_record(&records[0]).unwrap() {
        ControlRecord::SnapshotHeader {
            last_contained_log_timestamp,
            ..
        } => last_contained_log_timestamp,
        other => panic!("Kafka's first record: {other:?}"),
    };
    let mut header = Vec::new();
    build_snapshot_header_batch_with_kraft_control(
        &mut header,
        0,
        first.header.base_timestamp,
        last_contained,
        Some(1),
        Some(voters),
    );
    assert_eq!(header, first.bytes, "our header batch differs from Kafka's");
    let mut footer = Vec::new();
    let (base_offset, timestamp) = (last.header.base_offset, last.header.base_timestamp);
    build_snapshot_footer_batch(&mut footer, base_offset, 0, timestamp);
    assert_eq!(footer, last.bytes, "our footer batch differs from Kafka's");
}

#[test]
fn our_reader_reads_kafkas_bootstrap_checkpoint() {
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate("our_reader_reads_kafkas_bootstrap_checkpoint", &version)
        else {
            return;
        };
        let root = tempfile::tempdir().unwrap();

        let logs = root.path().join("standalone");
        let config = write_config(root.path(), "standalone.properties", 19_402, &logs);
        let partition = kafka_format(&kafka, &config, &logs, &["--standalone"]);
        let expected = VotersRecord {
            version: 0,
            voters: vec![voter(1, directory_id(&logs), 19_402)],
        };
        assert_eq!(
            read_bootstrap_control(&partition).unwrap(),
            [
                (
                    -1,
                    ControlRecord::KRaftVersion {
                        version: 0,
                        kraft_version: 1
                    }
                ),
                (-1, ControlRecord::KRaftVoters(expected.clone())),
            ],
            "Kafka {version}"
        );
        assert_rebuilt_exactly(&partition, &expected);
        // Kafka's meta.properties passes our formatter's checks: formatted, same cluster id.
        let ours = kraft_storage(&[
            "format",
            "-c",
            config.to_str().unwrap(),
            "-t",
            "MkU3OEVBNTcwNTJENDM2Qk",
            "-s",
            "-g",
        ]);
        assert_eq!(ours.code, Some(0), "{ours:?}");
        assert_eq!(
            ours.stdout.trim(),
            "All of the log directories are already formatted."
        );

        let logs = root.path().join("initial");
        let config = write_config(root.path(), "initial.properties", 19_403, &logs);
        let ids: Vec<Uuid> = (1..=3u64).map(|i| Uuid::from_parts(i << 56, i)).collect();
        let list = format!(
            "2@localhost:19404:{},1@localhost:19403:{},3@localhost:19405:{}",
            ids[1], ids[0], ids[2]
        );
        let partition = kafka_format(&kafka, &config, &logs, &["--initial-controllers", &list]);
        assert_eq!(directory_id(&logs), ids[0]);
        let expected = VotersRecord {
            version: 0,
            voters: vec![
                voter(1, ids[0], 19_403),
                voter(2, ids[1], 19_404),
                voter(3, ids[2], 19_405),
            ],
        };
        let read = read_bootstrap_control(&partition).unwrap();
        assert_eq!(read[1], (-1, ControlRecord::KRaftVoters(expected.clone())));
        assert_rebuilt_exactly(&partition, &expected);
    }
}
