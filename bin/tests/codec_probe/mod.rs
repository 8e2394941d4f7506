//! The Java side of the differential codec test: compiles `interop/java/*.java` against one
//! Kafka release, runs it once over a file of cases, and reads its results back.
//!
//! Case file: int32 count, then per case int8 kind, int16 api key, int16 version, int32 length,
//! bytes. Result file: per case int8 status (0 ok, 1 error, 2 the release lacks that api
//! version), int32 length, bytes (or an error text).

// Each test file compiles this module on its own and uses a different part of it.
#![allow(dead_code)]

pub mod ours;

use std::path::{Path, PathBuf};
use std::time::Duration;

use kraft_interop::kafka::{interop_dir, run_bounded};
use kraft_interop::Kafka;

pub const KIND_REQUEST: i8 = 0;
pub const KIND_RESPONSE: i8 = 1;
pub const KIND_BATCHES: i8 = 2;
pub const KIND_GEN_REQUESTS: i8 = 10;
pub const KIND_GEN_RESPONSES: i8 = 11;
pub const KIND_GEN_BATCHES: i8 = 12;

/// javac plus one JVM over a few thousand cases on a shared two-CPU machine.
const COMPILE_TIMEOUT: Duration = Duration::from_secs(240);
const RUN_TIMEOUT: Duration = Duration::from_secs(300);
const PROBE_HEAP_MB: u32 = 512;

/// Kafka 4.1 moved the record classes into an `internal` package; older releases have them one
/// level up. The probe is written against the new package and rewritten for the old one.
const RECORDS_PACKAGE: &str = "org.apache.kafka.common.record.internal";
const OLD_RECORDS_PACKAGE: &str = "org.apache.kafka.common.record";

#[derive(Clone, Debug)]
pub struct Case {
    pub kind: i8,
    pub api_key: i16,
    pub version: i16,
    pub bytes: Vec<u8>,
}

/// What the probe made of one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok(Vec<u8>),
    Err(String),
    /// This Kafka release has no such version of the api (older releases lack the newest ones).
    VersionUnknown,
}

/// The probe compiled for one Kafka release.
pub struct Probe {
    kafka: Kafka,
    classes: tempfile::TempDir,
}

impl Probe {
    /// Compiles the probe; panics with javac's output when it does not compile (a broken probe
    /// must not pass as "nothing to compare").
    pub fn compile(kafka: &Kafka) -> Probe {
        let classes = tempfile::tempdir().expect("temp dir");
        let sources = classes.path().join("src");
        std::fs::create_dir_all(&sources).expect("source dir");
        let old_layout = !jar_has_internal_records(&kafka.lib);
        let mut files = Vec::new();
        for entry in std::fs::read_dir(interop_dir().join("java")).expect("interop/java") {
            let path = entry.expect("dir entry").path();
            if path.extension().is_some_and(|e| e == "java") {
                let mut text = std::fs::read_to_string(&path).expect("read java source");
                if old_layout {
                    text = text.replace(RECORDS_PACKAGE, OLD_RECORDS_PACKAGE);
                }
                let target = sources.join(path.file_name().expect("file name"));
                std::fs::write(&target, text).expect("write java source");
                files.push(target);
            }
        }
        assert!(!files.is_empty(), "no Java sources in interop/java");
        let mut javac = std::process::Command::new("javac");
        javac
            .arg("-nowarn")
            .arg("-d")
            .arg(classes.path())
            .arg("-cp")
            .arg(format!("{}/*", kafka.lib.display()))
            .args(&files);
        let out = run_bounded(javac, COMPILE_TIMEOUT);
        assert!(
            out.success,
            "javac of the codec probe against Kafka {} failed:\n{}{}",
            kafka.version, out.stdout, out.stderr
        );
        Probe {
            kafka: kafka.clone(),
            classes,
        }
    }

    /// Runs every case in one JVM; one result per case, in order.
    pub fn run(&self, cases: &[Case]) -> Vec<Outcome> {
        let input = self.classes.path().join("cases.bin");
        let output = self.classes.path().join("results.bin");
        std::fs::write(&input, encode_cases(cases)).expect("write cases");
        let mut java = std::process::Command::new("java");
        java.arg(format!("-Xmx{PROBE_HEAP_MB}m"))
            .arg("-cp")
            .arg(format!(
                "{}:{}/*",
                self.classes.path().display(),
                self.kafka.lib.display()
            ))
            .arg("CodecProbe")
            .arg(&input)
            .arg(&output);
        let out = run_bounded(java, RUN_TIMEOUT);
        assert!(
            out.success,
            "codec probe (Kafka {}) failed:\n{}{}",
            self.kafka.version, out.stdout, out.stderr
        );
        let results = decode_results(&std::fs::read(&output).expect("read results"));
        assert_eq!(results.len(), cases.len(), "one result per case");
        results
    }
}

/// Whether the release's kafka-clients jar has the 4.1+ record package. A jar's central
/// directory stores entry names uncompressed, so a byte search is enough.
fn jar_has_internal_records(lib: &Path) -> bool {
    let jar: PathBuf = std::fs::read_dir(lib)
        .expect("Kafka lib dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("kafka-clients-") && n.ends_with(".jar"))
        })
        .expect("kafka-clients jar in the lib dir");
    let bytes = std::fs::read(jar).expect("read kafka-clients jar");
    let needle = b"org/apache/kafka/common/record/internal/MemoryRecords.class";
    bytes.windows(needle.len()).any(|w| w == needle)
}

fn encode_cases(cases: &[Case]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(cases.len() as i32).to_be_bytes());
    for case in cases {
        out.push(case.kind as u8);
        out.extend_from_slice(&case.api_key.to_be_bytes());
        out.extend_from_slice(&case.version.to_be_bytes());
        out.extend_from_slice(&(case.bytes.len() as i32).to_be_bytes());
        out.extend_from_slice(&case.bytes);
    }
    out
}

fn decode_results(mut buf: &[u8]) -> Vec<Outcome> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let status = buf[0];
        let (bytes, rest) = length_prefixed(&buf[1..]);
        buf = rest;
        out.push(match status {
            0 => Outcome::Ok(bytes.to_vec()),
            2 => Outcome::VersionUnknown,
            _ => Outcome::Err(String::from_utf8_lossy(bytes).into_owned()),
        });
    }
    out
}

/// Splits an int32-length-prefixed item off the front of `buf`.
pub fn length_prefixed(buf: &[u8]) -> (&[u8], &[u8]) {
    let len = i32::from_be_bytes(buf[..4].try_into().expect("length")) as usize;
    (&buf[4..4 + len], &buf[4 + len..])
}

/// All int32-length-prefixed items of `buf`.
pub fn split_items(mut buf: &[u8]) -> Vec<&[u8]> {
    let mut items = Vec::new();
    while !buf.is_empty() {
        let (item, rest) = length_prefixed(buf);
        items.push(item);
        buf = rest;
    }
    items
}

/// Seed and count of a generation case.
pub fn generation_params(seed: i64, count: i32) -> Vec<u8> {
    let mut out = seed.to_be_bytes().to_vec();
    out.extend_from_slice(&count.to_be_bytes());
    out
}

/// `None` when equal, else a one-line account of the first differing byte.
pub fn first_difference(ours: &[u8], kafkas: &[u8]) -> Option<String> {
    if ours == kafkas {
        return None;
    }
    let at = ours
        .iter()
        .zip(kafkas)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(kafkas.len()));
    let window = |b: &[u8]| {
        let end = (at + 8).min(b.len());
        let start = at.saturating_sub(8).min(end);
        format!("{:02x?}", &b[start..end])
    };
    Some(format!(
        "first difference at byte {at} of {} (ours) / {} (Kafka's); ours around it {}, Kafka's {}",
        ours.len(),
        kafkas.len(),
        window(ours),
        window(kafkas)
    ))
}
