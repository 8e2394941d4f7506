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
        Dump::run_files(kafka, files).0
    }

    /// Dumps `files` in one run; returns the parsed dump (Kafka's stderr, less Java's noise,
    /// among the complaints) and Kafka's stdout.
    pub fn run_files(kafka: &Kafka, files: Vec<PathBuf>) -> (Dump, String) {
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
        (dump, out.stdout)
    }

    /// Dumps one snapshot file (snapshot `end_offset`/`epoch`). Kafka names the snapshot id first
    /// (`Snapshot end offset: X, epoch: Y`; control records' contents are on `| offset:` listing
    /// lines): that line is no complaint, so it is removed, and a dump without it exactly once
    /// panics, naming `what`. Returns the dump and Kafka's stdout.
    pub fn run_snapshot(
        kafka: &Kafka,
        path: &Path,
        end_offset: i64,
        epoch: i32,
        what: &str,
    ) -> (Dump, String) {
        let (mut dump, stdout) = Dump::run_files(kafka, vec![path.to_path_buf()]);
        let id_line = format!("Snapshot end offset: {end_offset}, epoch: {epoch}");
        let before = dump.complaints.len();
        dump.complaints.retain(|l| *l != id_line);
        assert_eq!(
            before,
            dump.complaints.len() + 1,
            "{what}: no `{id_line}` line:\n{stdout}"
        );
        (dump, stdout)
    }

    /// Drops Kafka's index "mismatches" that are Kafka's own indexing of a multi-batch append, in
    /// files a Java node wrote: Kafka 4.0's `LogSegment.append` indexes one append (a follower
    /// appends a whole fetched chunk at once) by the chunk's largest offset at the chunk's first
    /// position, and its `DumpLogSegments` then compares that offset with the first batch's
    /// (`Index offset: X, log offset: Y`, Y < X). Each one is accepted only when a batch of the
    /// log does end at X after the batch ending at Y; returns how many were accepted.
    pub fn accept_chunk_index_entries(&mut self) -> usize {
        let ends: std::collections::BTreeSet<i64> =
            self.batches.iter().map(|b| b.last_offset).collect();
        let explained = |line: &String| {
            parse_index_mismatch(line).is_some_and(|(index, log)| {
                log < index && ends.contains(&index) && ends.contains(&log)
            })
        };
        let accepted = self.complaints.iter().filter(|l| explained(l)).count();
        self.complaints.retain(|l| !explained(l));
        let unexplained = self
            .complaints
            .iter()
            .any(|l| parse_index_mismatch(l).is_some());
        if !unexplained {
            // The "Mismatches in :<file>.index" headers had only accepted entries under them.
            self.complaints
                .retain(|l| !(l.starts_with("Mismatches in :") && l.ends_with(".index")));
        }
        accepted
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

/// `  Index offset: X, log offset: Y` of DumpLogSegments' index check.
fn parse_index_mismatch(line: &str) -> Option<(i64, i64)> {
    let rest = line.trim().strip_prefix("Index offset: ")?;
    let (index, log) = rest.split_once(", log offset: ")?;
    Some((index.trim().parse().ok()?, log.trim().parse().ok()?))
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
    fn chunk_index_entries_are_accepted_only_when_the_log_explains_them() {
        let out = "baseOffset: 0 lastOffset: 4 count: 5 partitionLeaderEpoch: 1 position: 0 size: 10 crc: 1 isvalid: true\n\
            baseOffset: 5 lastOffset: 9 count: 5 partitionLeaderEpoch: 1 position: 10 size: 10 crc: 2 isvalid: true\n\
            Mismatches in :/x/00000000000000000000.index\n\
              Index offset: 9, log offset: 4\n";
        let mut dump = super::parse(out);
        assert_eq!(dump.complaints.len(), 2);
        assert_eq!(dump.accept_chunk_index_entries(), 1);
        assert!(dump.complaints.is_empty(), "{:?}", dump.complaints);

        let bad = out.replace("Index offset: 9", "Index offset: 7");
        let mut dump = super::parse(&bad);
        dump.accept_chunk_index_entries();
        assert_eq!(dump.complaints.len(), 2, "{:?}", dump.complaints);
    }

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
