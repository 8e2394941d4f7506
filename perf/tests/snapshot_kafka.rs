//! Kafka's own tool reads our snapshot files: `DumpLogSegments --files X.checkpoint` (Kafka
//! 4.4.0's class, run with `java -cp interop/lib/<version>/*`) prints our three batches, valid,
//! with our offsets, epochs, CRCs and sizes, and no error; at kraft.version 1 it decodes the
//! KRaftVersion and Voters records after the SnapshotHeader. Skips loudly without Java (a failure
//! under `KRAFT_INTEROP_REQUIRED=1`).

use kraft_interop::dump;
use kraft_interop::kafka::{versions_under_test, Kafka};
use kraft_perf::{write_snapshot, SnapshotKRaftControl, WorkloadState};
use kraft_records::{BatchBuilder, BatchIter, Uuid, VoterEndpoint, VoterRecord, VotersRecord};
use kraft_segment_log::SnapshotReader;

/// Voter 1 of a dynamic quorum, as its Voters record holds it.
fn one_voter() -> VotersRecord {
    VotersRecord {
        version: 0,
        voters: vec![VoterRecord {
            voter_id: 1,
            voter_directory_id: Uuid([0x11; 16]),
            endpoints: vec![VoterEndpoint {
                name: "CONTROLLER".into(),
                host: "node1.example".into(),
                port: 19093,
            }],
            kraft_version_min: 0,
            kraft_version_max: 1,
        }],
    }
}

#[test]
fn kafka_dump_log_segments_reads_our_snapshot() {
    let static_quorum = SnapshotKRaftControl::default();
    let dynamic_quorum = SnapshotKRaftControl {
        kraft_version: 1,
        voters: Some(one_voter()),
    };
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate("kafka_dump_log_segments_reads_our_snapshot", &version)
        else {
            return;
        };
        dump_our_snapshot(&kafka, &version, &static_quorum, &[]);
        let voter = format!(
            "KRaftVoters {{\"version\":0,\"voters\":[{{\"voterId\":1,\"voterDirectoryId\":\"{}\",\"endpoints\":[{{\"name\":\"CONTROLLER\",\"host\":\"node1.example\",\"port\":19093}}],\"kRaftVersionFeature\":{{\"minSupportedVersion\":0,\"maxSupportedVersion\":1}}}}]}}",
            Uuid([0x11; 16])
        );
        let kraft_records = [
            "KRaftVersion {\"version\":0,\"kRaftVersion\":1}".to_string(),
            voter,
        ];
        dump_our_snapshot(&kafka, &version, &dynamic_quorum, &kraft_records);
    }
}

/// Kafka's DumpLogSegments on a snapshot we write with `kraft`: every batch ours, the header and
/// footer decoded, and each of `expected` (KRaftVersion / Voters JSON) printed.
fn dump_our_snapshot(
    kafka: &Kafka,
    version: &str,
    kraft: &SnapshotKRaftControl,
    expected: &[String],
) {
    {
        let dir = tempfile::tempdir().unwrap();
        let mut state = WorkloadState::default();
        for base in [0i64, 4] {
            let mut buf = Vec::new();
            let mut builder = BatchBuilder::new(&mut buf, base, 3, 1_700_000_000_000 + base);
            for _ in 0..4 {
                builder.append_value(&[7u8; 100]);
            }
            builder.finish();
            let header = kraft_records::validate_batch(&buf).unwrap();
            state.apply_batch(&header, &buf).unwrap();
        }
        let frozen = write_snapshot(dir.path(), &state, kraft, 1_700_000_001_000).unwrap();
        let what = format!(
            "our snapshot at kraft.version {} (Kafka {version})",
            kraft.kraft_version
        );
        let (dumped, stdout) = dump::Dump::run_snapshot(
            kafka,
            &frozen.path,
            frozen.id.end_offset,
            frozen.id.epoch,
            &what,
        );
        let header_and_footer = [
            "SnapshotHeader {\"version\":0,\"lastContainedLogTimestamp\":1700000000004}",
            "SnapshotFooter {\"version\":0}",
        ];
        for control in header_and_footer
            .iter()
            .copied()
            .chain(expected.iter().map(String::as_str))
        {
            assert!(
                stdout.contains(control),
                "Kafka did not decode {control}:\n{}",
                stdout
            );
        }
        dumped.assert_clean(&format!("{what}\nstdout:\n{stdout}"));
        let reader = SnapshotReader::open(&frozen.path).unwrap();
        let ours: Vec<dump::DumpedBatch> = BatchIter::new(reader.bytes())
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
        assert_eq!(dumped.batches, ours, "Kafka {version} stdout:\n{}", stdout);
    }
}
