//! Kafka's `DumpLogSegments --deep-iteration` run on a partition directory, its output parsed:
//! the batches Kafka's reader found, and every line that is not a plain listing (errors,
//! "invalid bytes", index mismatches, exceptions).

use crate::kafka::Kafka;
use std::path::{Path, PathBuf};

/// One batch as Kafka's reader printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpedBatch {
    pub base_offset: i64,
    pub last_offset: i64,
    pub epoch: i32,
    pub crc: u32,
    pub size: usize,
}

#[derive(Debug)]
pub struct Dump {
    pub success: bool,
    pub batches: Vec<DumpedBatch>,
    /// Lines that are neither a batch, a record, an index entry nor a file header.
    pub complaints: Vec<String>,
    pub files: Vec<PathBuf>,
}

impl Dump {
    /// Dumps every `.log` and `.index` file of `partition_dir` in one run.
    pub fn run(kafka: &Kafka, partition_dir: &Path) -> Dump {
        let mut files: Vec<PathBuf> = std::fs::read_dir(partition_dir)
            .expect("partition dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "log" || x == "index"))
            .collect();
        files.sort();
        let list: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        let out = kafka.dump_log_segments(&[
            "--deep-iteration".to_string(),
            "--files".to_string(),
            list.join(","),
        ]);
        let mut dump = parse(&out.stdout);
        dump.success = out.success;
        dump.files = files;
        let java_noise =
            |l: &&str| !l.trim().is_empty() && !l.starts_with("SLF4J") && !l.contains(" INFO ");
        dump.complaints
            .extend(out.stderr.lines().filter(java_noise).map(str::to_string));
        dump
    }

    /// Panics with Kafka's complaints if the run failed or printed anything but a listing.
    pub fn assert_clean(&self, what: &str) {
        assert!(
            self.success && self.complaints.is_empty(),
            "Kafka's DumpLogSegments on {what} ({:?}) {}:\n{}",
            self.files,
            if self.success { "complained" } else { "failed" },
            self.complaints.join("\n")
        );
    }
}

/// Parses DumpLogSegments' stdout.
pub fn parse(stdout: &str) -> Dump {
    let mut batches = Vec::new();
    let mut complaints = Vec::new();
    for line in stdout.lines() {
        if line.starts_with("baseOffset:") {
            match parse_batch(line) {
                Some(b) => batches.push(b),
                None => complaints.push(line.to_string()),
            }
            if !line.contains("isvalid: true") {
                complaints.push(line.to_string());
            }
        } else if !is_listing(line) {
            complaints.push(line.to_string());
        }
    }
    Dump {
        success: true,
        batches,
        complaints,
        files: Vec::new(),
    }
}

fn is_listing(line: &str) -> bool {
    const PREFIXES: [&str; 5] = [
        "| offset:",
        "offset:",
        "Dumping ",
        "Log starting offset:",
        "timestamp:",
    ];
    line.trim().is_empty() || PREFIXES.iter().any(|p| line.starts_with(p))
}

fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("{name}: ");
    let at = line.find(&key)? + key.len();
    line[at..].split_whitespace().next()
}

fn parse_batch(line: &str) -> Option<DumpedBatch> {
    Some(DumpedBatch {
        base_offset: field(line, "baseOffset")?.parse().ok()?,
        last_offset: field(line, "lastOffset")?.parse().ok()?,
        epoch: field(line, "partitionLeaderEpoch")?.parse().ok()?,
        crc: field(line, "crc")?.parse().ok()?,
        size: field(line, "size")?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_batches_and_flags_anything_else() {
        let out = "Dumping /x/00000000000000000000.log\nLog starting offset: 0\n\
            baseOffset: 0 lastOffset: 0 count: 1 partitionLeaderEpoch: 1 isControl: true position: 0 CreateTime: 1 size: 106 magic: 2 compresscodec: none crc: 4150072372 isvalid: true\n\
            | offset: 0 CreateTime: 1 keySize: 4\n\
            Found 12 invalid bytes at the end of 00000000000000000000.log\n";
        let dump = super::parse(out);
        assert_eq!(dump.batches.len(), 1);
        assert_eq!(dump.batches[0].crc, 4150072372);
        assert_eq!(dump.batches[0].size, 106);
        assert_eq!(dump.complaints.len(), 1, "{:?}", dump.complaints);
    }
}
