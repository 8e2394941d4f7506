//! A partition directory judged by the spec reader: every `.log` segment in offset order, each
//! continuing the last, every byte a valid batch, except where the caller allows a torn tail.
//! A corrupt or torn batch anywhere else fails loudly with its file and byte position; nothing
//! ends a read silently.

use std::path::{Path, PathBuf};

use crate::spec_fault::SpecFault;
use crate::spec_reader::{check_index, parse_segment, SpecBatch};

/// One batch's content, for comparing logs across nodes and runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBatch {
    pub base_offset: i64,
    pub last_offset: i64,
    pub epoch: i32,
    pub bytes: Vec<u8>,
}

impl StoredBatch {
    /// The batch's CRC-32C field (bytes 17..21 of a v2 batch), as Kafka's tools print it.
    pub fn crc(&self) -> u32 {
        u32::from_be_bytes(self.bytes[17..21].try_into().expect("v2 batch header"))
    }

    /// Whether the batch holds control records (attribute bit 5 of a v2 batch, bytes 21..23).
    pub fn is_control(&self) -> bool {
        let attributes =
            i16::from_be_bytes(self.bytes[21..23].try_into().expect("v2 batch header"));
        attributes & 0x20 != 0
    }
}

/// Where a log may end in a torn or corrupt batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    /// A stopped node's log: every byte of every segment is a valid batch or preallocated zeros.
    Clean,
    /// A running or `kill -9`ed node's log: every offset below this one must be held by valid
    /// batches; past them the last segment may end in a torn or corrupt batch (an append in
    /// progress, or one the kill cut), where reading stops.
    TornFrom(i64),
}

/// One segment file, its bytes and the valid batches in them.
#[derive(Debug)]
pub struct SpecSegment {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub batches: Vec<SpecBatch>,
}

/// The partition's `.log` segment files in offset order (none when the directory is missing).
pub fn segment_files(partition_dir: &Path) -> Vec<PathBuf> {
    let mut segments: Vec<PathBuf> = std::fs::read_dir(partition_dir)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "log"))
                .collect()
        })
        .unwrap_or_default();
    segments.sort();
    segments
}

/// Reads and checks every segment of the directory under the `tail` rule.
pub fn scan_partition(dir: &Path, tail: Tail) -> Result<Vec<SpecSegment>, SpecFault> {
    let files = segment_files(dir);
    let mut segments = Vec::with_capacity(files.len());
    let mut next_offset: Option<i64> = None;
    for (index, path) in files.iter().enumerate() {
        let base = segment_base(path)?;
        if let Some(next) = next_offset.filter(|&next| next != base) {
            let reason = format!("segment starts at offset {base} where offset {next} comes next");
            return Err(SpecFault::new(0, reason).in_file(path));
        }
        let bytes = std::fs::read(path)
            .map_err(|e| SpecFault::new(0, format!("cannot read: {e}")).in_file(path))?;
        let scan = parse_segment(&bytes, base);
        let end_offset = scan.batches.last().map_or(base, |b| b.last_offset + 1);
        if let Some(fault) = scan.fault {
            let last = index + 1 == files.len();
            allow_torn_tail(fault.in_file(path), last, end_offset, tail)?;
        }
        next_offset = Some(end_offset);
        segments.push(SpecSegment {
            path: path.clone(),
            bytes,
            batches: scan.batches,
        });
    }
    if let Tail::TornFrom(required) = tail {
        let end_offset = next_offset.unwrap_or(0);
        if end_offset < required {
            let reason = format!("the log ends at offset {end_offset}, below offset {required}");
            let file = files.last().cloned().unwrap_or_else(|| dir.to_path_buf());
            let position = segments.last().map_or(0, |s: &SpecSegment| s.bytes.len());
            return Err(SpecFault::new(position, reason).in_file(&file));
        }
    }
    Ok(segments)
}

/// A fault is a torn tail the caller allows only at the end of the last segment, above every
/// offset the caller requires.
fn allow_torn_tail(
    fault: SpecFault,
    last_segment: bool,
    end_offset: i64,
    tail: Tail,
) -> Result<(), SpecFault> {
    let why = match tail {
        Tail::Clean => "the log must be clean".to_string(),
        Tail::TornFrom(_) if !last_segment => "only the last segment may end torn".to_string(),
        Tail::TornFrom(required) if end_offset < required => {
            format!("the valid batches end at offset {end_offset}, below offset {required}")
        }
        Tail::TornFrom(_) => return Ok(()),
    };
    Err(SpecFault {
        reason: format!("{} ({why})", fault.reason),
        ..fault
    })
}

fn segment_base(path: &Path) -> Result<i64, SpecFault> {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if stem.len() != 20 {
        return Err(SpecFault::new(0, "segment name is not 20 digits").in_file(path));
    }
    stem.parse()
        .map_err(|_| SpecFault::new(0, "segment name is not a base offset").in_file(path))
}

/// The batches of a partition directory under the `tail` rule, or where and why it is broken.
pub fn try_read_log(dir: &Path, tail: Tail) -> Result<Vec<StoredBatch>, SpecFault> {
    let segments = scan_partition(dir, tail)?;
    let mut out = Vec::new();
    for segment in &segments {
        for b in &segment.batches {
            out.push(StoredBatch {
                base_offset: b.base_offset,
                last_offset: b.last_offset,
                epoch: b.epoch,
                bytes: segment.bytes[b.position..b.position + b.size].to_vec(),
            });
        }
    }
    Ok(out)
}

fn read_or_panic(dir: &Path, tail: Tail) -> Vec<StoredBatch> {
    try_read_log(dir, tail).unwrap_or_else(|fault| panic!("spec reader: {fault}"))
}

/// Every batch of a stopped node's log, which must be clean throughout; panics (with the file,
/// the byte position and the reason) on any torn or corrupt batch.
pub fn read_log(partition_dir: &Path) -> Vec<StoredBatch> {
    read_or_panic(partition_dir, Tail::Clean)
}

/// The batches of a running or killed node's log, which must hold every offset below
/// `end_offset` intact (e.g. the high watermark); only past them may the log end torn.
pub fn read_log_to(partition_dir: &Path, end_offset: i64) -> Vec<StoredBatch> {
    read_or_panic(partition_dir, Tail::TornFrom(end_offset))
}

/// The batches of a running node's log while polling for progress: the end of its last segment
/// may be an append in progress. Final checks use `read_log` or `read_log_to` instead.
pub fn read_live_log(partition_dir: &Path) -> Vec<StoredBatch> {
    read_or_panic(partition_dir, Tail::TornFrom(0))
}

/// The batches of a clean partition directory with every offset index checked against them (for
/// the segment log's own tests, which write the indexes the server writes).
pub fn read_partition(dir: &Path) -> Vec<SpecBatch> {
    let segments = scan_partition(dir, Tail::Clean).unwrap_or_else(|f| panic!("spec reader: {f}"));
    let mut all = Vec::new();
    for segment in segments {
        let base = segment_base(&segment.path).expect("checked by the scan");
        if let Ok(index) = std::fs::read(segment.path.with_extension("index")) {
            check_index(&index, base, &segment.batches);
        }
        all.extend(segment.batches);
    }
    all
}
