//! Runs `config/tests/java/PropertiesProbe.java` on a batch of inputs: one
//! `javac`, one JVM for the whole batch, bounded in time and heap.

use std::io::{Error, ErrorKind, Result, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What `Properties.load` made of one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// Keys and values as Java's UTF-16 code units (possibly unpaired
    /// surrogates), in the order the `Hashtable` listed them.
    Entries(Vec<(Vec<u16>, Vec<u16>)>),
    /// `load` threw: the exception's class name and message.
    Thrown { class: String, message: String },
}

const SOURCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/java/PropertiesProbe.java"
);
const TIMEOUT: Duration = Duration::from_secs(180);

/// Whether a skipped Java comparison must fail instead (CI sets
/// `KRAFT_INTEROP_REQUIRED=1`). The same policy as `kraft_interop::kafka`,
/// repeated here because kraft-interop depends on this crate.
fn skips_are_failures() -> bool {
    matches!(
        std::env::var("KRAFT_INTEROP_REQUIRED").as_deref(),
        Ok("1") | Ok("true") | Ok("yes")
    )
}

/// Reports a skipped comparison loudly; panics instead when skips are failures.
/// Written to stderr directly: the test harness captures `eprintln!`, which
/// would hide the banner of a passing (skipped) test.
pub fn skip(test: &str, reason: &str) {
    let banner = "!".repeat(78);
    let _ = writeln!(
        std::io::stderr(),
        "{banner}\nINTEROP TEST SKIPPED: {test}: {reason}\n{banner}"
    );
    assert!(
        !skips_are_failures(),
        "interop test {test} cannot run ({reason}) and KRAFT_INTEROP_REQUIRED is set"
    );
}

/// The first of `tools` not found on PATH.
pub fn missing_tool(tools: &[&str]) -> Option<String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    tools
        .iter()
        .find(|tool| !std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        .map(|tool| tool.to_string())
}

/// Compiles the probe into `dir` and loads every input with it.
pub fn load_all(dir: &Path, inputs: &[Vec<u8>]) -> Result<Vec<Loaded>> {
    let classes = dir.join("classes");
    run_bounded(
        Command::new("javac").arg("-d").arg(&classes).arg(SOURCE),
        &dir.join("javac.stderr"),
    )?;
    let batch = dir.join("inputs.bin");
    let answers = dir.join("answers.bin");
    std::fs::write(&batch, encode_batch(inputs))?;
    run_bounded(
        Command::new("java")
            .args(["-Xmx256m", "-XX:+UseSerialGC", "-cp"])
            .arg(&classes)
            .arg("PropertiesProbe")
            .arg(&batch)
            .arg(&answers),
        &dir.join("java.stderr"),
    )?;
    decode_answers(&std::fs::read(&answers)?, inputs.len())
}

/// Runs `command` to completion within [`TIMEOUT`], killing it (by its own
/// handle) when it overruns; a non-zero exit is an error carrying stderr,
/// which goes to `stderr_path` so a chatty JVM cannot fill a pipe.
fn run_bounded(command: &mut Command, stderr_path: &Path) -> Result<()> {
    let stderr = std::fs::File::create(stderr_path)?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()?;
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            child.kill()?;
            child.wait()?;
            return Err(Error::new(ErrorKind::TimedOut, format!("{command:?}")));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = std::fs::read_to_string(stderr_path).unwrap_or_default();
    if status.success() {
        Ok(())
    } else {
        Err(Error::other(format!("{command:?}: {status}\n{output}")))
    }
}

fn encode_batch(inputs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(inputs.len() as i32).to_be_bytes());
    for input in inputs {
        out.extend_from_slice(&(input.len() as i32).to_be_bytes());
        out.extend_from_slice(input);
    }
    out
}

/// A cursor over the probe's answers; any short read is an error.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.0.len() < n {
            return Err(Error::new(
                ErrorKind::UnexpectedEof,
                "probe answers cut short",
            ));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn int(&mut self) -> Result<usize> {
        let bytes = self.take(4)?;
        Ok(i32::from_be_bytes(bytes.try_into().unwrap()) as usize)
    }

    fn units(&mut self) -> Result<Vec<u16>> {
        let len = self.int()?;
        let bytes = self.take(len * 2)?;
        Ok(bytes
            .chunks_exact(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .collect())
    }

    /// `DataOutputStream.writeUTF`: a u16 length, then modified UTF-8
    /// (plain UTF-8 for the class names and messages we expect).
    fn utf(&mut self) -> Result<String> {
        let len = u16::from_be_bytes(self.take(2)?.try_into().unwrap()) as usize;
        Ok(String::from_utf8_lossy(self.take(len)?).into_owned())
    }
}

fn decode_answers(bytes: &[u8], count: usize) -> Result<Vec<Loaded>> {
    let mut reader = Reader(bytes);
    let mut answers = Vec::with_capacity(count);
    for _ in 0..count {
        let answer = match reader.take(1)?[0] {
            0 => {
                let entries = reader.int()?;
                let mut pairs = Vec::with_capacity(entries);
                for _ in 0..entries {
                    pairs.push((reader.units()?, reader.units()?));
                }
                Loaded::Entries(pairs)
            }
            _ => Loaded::Thrown {
                class: reader.utf()?,
                message: reader.utf()?,
            },
        };
        answers.push(answer);
    }
    if !reader.0.is_empty() {
        return Err(Error::other("probe wrote more answers than inputs"));
    }
    Ok(answers)
}
