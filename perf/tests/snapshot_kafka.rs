//! Kafka's own tool reads our snapshot files: `DumpLogSegments --files X.checkpoint` (Kafka
//! 4.4.0's class, run with `java -cp interop/lib/<version>/*`) prints our three batches, valid,
//! with our offsets, epochs, CRCs and sizes, and no error. Skips loudly without Java (a failure
//! under `KRAFT_INTEROP_REQUIRED=1`).

use kraft_interop::dump;
use kraft_interop::kafka::{versions_under_test, Kafka};
use kraft_perf::{write_snapshot, WorkloadState};
use kraft_records::{BatchBuilder, BatchIter};
use kraft_segment_log::SnapshotReader;

#[test]
fn kafka_dump_log_segments_reads_our_snapshot() {
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate("kafka_dump_log_segments_reads_our_snapshot", &version)
        else {
            return;
        };
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
        let frozen = write_snapshot(dir.path(), &state, 1_700_000_001_000).unwrap();
        let what = format!("our snapshot (Kafka {version})");
        let (dumped, stdout) = dump::Dump::run_snapshot(
            &kafka,
            &frozen.path,
            frozen.id.end_offset,
            frozen.id.epoch,
            &what,
        );
        for control in [
            "SnapshotHeader {\"version\":0,\"lastContainedLogTimestamp\":1700000000004}",
            "SnapshotFooter {\"version\":0}",
        ] {
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
