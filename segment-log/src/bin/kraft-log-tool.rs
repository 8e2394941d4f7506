//! Inspect and exercise a partition directory written by kraft-segment-log (or by Kafka).
//!
//! ```text
//! kraft-log-tool dump <partition-dir>        the log start offset, the snapshots (ids, sizes,
//!                                            checks), segments and batches (reads without
//!                                            repairing)
//! kraft-log-tool verify <partition-dir>      open (recovering as the server would) and summarize
//! kraft-log-tool append-loop <partition-dir> <batches> <value-bytes>
//!                                            append + flush, printing "flushed <offset>" per flush
//! ```

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use kraft_records::{BatchBuilder, BatchIter, Uuid};
use kraft_segment_log::{list_snapshots, LogConfig, SegmentLog, SnapshotReader};

fn usage() -> ExitCode {
    eprintln!(
        "usage: kraft-log-tool dump <dir> | verify <dir> | append-loop <dir> <batches> <value-bytes>"
    );
    ExitCode::from(2)
}

fn dump(dir: &Path) -> Result<(), String> {
    // Write errors (e.g. a closed pipe) end the command instead of panicking like println!.
    let mut out = std::io::stdout().lock();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".log"))
        .collect();
    names.sort();
    // Derived as the server derives it after a restart: the first segment's base offset.
    match names
        .first()
        .and_then(|n| n.strip_suffix(".log")?.parse::<i64>().ok())
    {
        Some(start) => writeln!(out, "log start offset {start}"),
        None => writeln!(out, "log start offset: no segment"),
    }
    .map_err(|e| e.to_string())?;
    dump_snapshots(dir, &mut out)?;
    for name in names {
        let path = dir.join(&name);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        writeln!(out, "segment {name} ({} bytes)", bytes.len()).map_err(|e| e.to_string())?;
        let mut iter = BatchIter::new(&bytes);
        for batch in iter.by_ref() {
            match batch {
                Ok(b) => writeln!(
                    out,
                    "  offsets {}..={} epoch {} records {} bytes {}{}",
                    b.header.base_offset,
                    b.header.last_offset(),
                    b.header.partition_leader_epoch,
                    b.header.records_count,
                    b.bytes.len(),
                    if b.header.is_control() {
                        " control"
                    } else {
                        ""
                    }
                )
                .map_err(|e| e.to_string())?,
                Err(e) => {
                    writeln!(out, "  invalid batch: {e}").map_err(|e| e.to_string())?;
                    break;
                }
            }
        }
        let end = iter.position();
        if end < bytes.len() {
            let zeros = bytes[end..].iter().all(|&b| b == 0);
            writeln!(
                out,
                "  {} bytes after position {end} ({})",
                bytes.len() - end,
                if zeros { "zeros" } else { "not a valid batch" }
            )
            .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// One line per frozen snapshot: id, size, and whether it passes the load-time checks.
fn dump_snapshots(dir: &Path, out: &mut impl Write) -> Result<(), String> {
    let ids = list_snapshots(dir).map_err(|e| e.to_string())?;
    writeln!(out, "snapshots: {}", ids.len()).map_err(|e| e.to_string())?;
    for id in ids {
        let path = id.path_in(dir);
        let line = match SnapshotReader::open(&path).and_then(|r| r.check(None)) {
            Ok(summary) => format!(
                "  snapshot {} end offset {} epoch {} ({} bytes, {} batches, last contained log timestamp {})",
                id.file_name(),
                id.end_offset,
                id.epoch,
                summary.size_bytes,
                summary.batches,
                summary.last_contained_log_timestamp_ms
            ),
            Err(error) => format!("  snapshot {} INVALID: {error}", id.file_name()),
        };
        writeln!(out, "{line}").map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn verify(dir: &Path) -> Result<(), String> {
    // Write errors (e.g. a closed pipe) end the command instead of panicking like println!.
    let mut out = std::io::stdout().lock();
    let (log, report) = SegmentLog::open(
        dir,
        LogConfig {
            topic_id: Uuid::from_parts(0, 2),
            ..LogConfig::default()
        },
    )
    .map_err(|e| e.to_string())?;
    writeln!(out, "{report:#?}").map_err(|e| e.to_string())?;
    writeln!(out, "epoch cache: {:?}", log.epoch_cache().entries()).map_err(|e| e.to_string())?;
    Ok(())
}

fn append_loop(dir: &Path, batches: u64, value_bytes: usize) -> Result<(), String> {
    // Write errors (e.g. a closed pipe) end the command instead of panicking like println!.
    let mut out = std::io::stdout().lock();
    let config = LogConfig {
        segment_bytes: 64 * 1024,
        topic_id: Uuid::from_parts(0, 2),
        ..LogConfig::default()
    };
    let (mut log, _) = SegmentLog::open(dir, config).map_err(|e| e.to_string())?;
    let value = vec![0x5a; value_bytes];
    for i in 0..batches {
        let mut buf = Vec::new();
        let mut builder = BatchBuilder::new(&mut buf, 0, 1 + (i / 100) as i32, 1_700_000_000_000);
        builder.append_value(&value);
        builder.append_value(&value);
        builder.finish();
        log.append(&buf).map_err(|e| e.to_string())?;
        if i % 3 == 2 {
            let flushed = log.flush().map_err(|e| e.to_string())?;
            // The parent kills us at a random point; everything printed here must survive.
            writeln!(out, "flushed {flushed}").map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("dump") if args.len() == 3 => dump(Path::new(&args[2])),
        Some("verify") if args.len() == 3 => verify(Path::new(&args[2])),
        Some("append-loop") if args.len() == 5 => {
            let (Ok(batches), Ok(value_bytes)) = (args[3].parse(), args[4].parse()) else {
                return usage();
            };
            append_loop(Path::new(&args[2]), batches, value_bytes)
        }
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
