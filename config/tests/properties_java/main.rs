//! Our `.properties` reader against `java.util.Properties.load(InputStream)`,
//! the call Kafka reads its configs with: tens of thousands of seeded raw
//! inputs (see `grammar.rs`) go through one JVM running
//! `tests/java/PropertiesProbe.java`, and every input must give the same
//! keys and values, or fail in both. Java is the judge.
//!
//! Replay: `KRAFT_PROPERTIES_SEED=<seed>` runs the one input a failure
//! printed; `KRAFT_PROPERTIES_INPUTS=<n>` changes how many inputs run.
//! Without `java`/`javac` the test is skipped loudly, and fails instead when
//! `KRAFT_INTEROP_REQUIRED=1` (as in CI).

mod grammar;
mod probe;

use std::collections::BTreeMap;
use std::io::Write;

use kraft_config::properties::{Properties, PropertiesError};
use probe::Loaded;

const TEST: &str = "properties_agree_with_java_util_properties";
const FIRST_SEED: u64 = 0x5EED_0000;
const DEFAULT_INPUTS: u64 = 50_000;

/// Java's exception for a bad `\uXXXX` escape (`Properties.loadConvert`).
const JAVA_MALFORMED_CLASS: &str = "java.lang.IllegalArgumentException";
const JAVA_MALFORMED_MESSAGE: &str = "Malformed \\uxxxx encoding.";

#[derive(Default)]
struct Tally {
    compared_keys: usize,
    failures_agreed: usize,
    /// Java strings holding an unpaired surrogate, which a Rust `String`
    /// cannot hold: our reader gives U+FFFD for each such code unit.
    unpaired_surrogates: usize,
    /// Distinct Java keys that became one of ours through U+FFFD.
    merged_keys: usize,
    mismatches: Vec<String>,
}

fn seeds() -> Vec<u64> {
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.parse::<u64>().unwrap_or_else(|_| panic!("{name}={v}")))
    };
    if let Some(seed) = env("KRAFT_PROPERTIES_SEED") {
        return vec![seed];
    }
    let inputs = env("KRAFT_PROPERTIES_INPUTS").unwrap_or(DEFAULT_INPUTS);
    (FIRST_SEED..FIRST_SEED + inputs).collect()
}

#[test]
fn properties_agree_with_java_util_properties() {
    if let Some(tool) = probe::missing_tool(&["java", "javac"]) {
        probe::skip(TEST, &format!("`{tool}` is not on PATH"));
        return;
    }
    let seeds = seeds();
    let inputs: Vec<Vec<u8>> = seeds.iter().map(|&seed| grammar::input(seed)).collect();
    let dir = tempfile::tempdir().unwrap();
    let answers = probe::load_all(dir.path(), &inputs).unwrap_or_else(|error| {
        panic!("the Java probe did not run: {error}");
    });
    let mut tally = Tally::default();
    for ((seed, input), java) in seeds.iter().zip(&inputs).zip(&answers) {
        let ours = Properties::parse_latin1(input, "input");
        if let Err(difference) = compare(&ours, java, &mut tally) {
            tally.mismatches.push(format!(
                "seed {seed} (replay: KRAFT_PROPERTIES_SEED={seed}): {difference}\n  \
                 input: b\"{}\"\n  ours: {}\n  java: {}",
                grammar::escaped(input),
                describe(&ours),
                describe_java(java),
            ));
        }
    }
    report(&tally, inputs.len());
}

/// Prints the figures; fails on any mismatch, or when the grammar stopped
/// producing both outcomes.
fn report(tally: &Tally, inputs: usize) {
    // To stderr directly, so the figures show without `--nocapture`.
    let _ = writeln!(
        std::io::stderr(),
        "properties vs java.util.Properties: {} inputs, {} compared keys, {} failures agreed, \
         {} mismatches ({} Java strings with unpaired surrogates read as U+FFFD, \
         {} Java keys merged by that)",
        inputs,
        tally.compared_keys,
        tally.failures_agreed,
        tally.mismatches.len(),
        tally.unpaired_surrogates,
        tally.merged_keys,
    );
    let shown: Vec<&String> = tally.mismatches.iter().take(10).collect();
    assert!(
        tally.mismatches.is_empty(),
        "{} of {} inputs read differently from java.util.Properties (first {}):\n{}",
        tally.mismatches.len(),
        inputs,
        shown.len(),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    if inputs >= 1000 {
        // The grammar must keep producing both outcomes in quantity, or the
        // comparison silently loses its edge.
        assert!(
            tally.failures_agreed * 100 >= inputs && tally.compared_keys >= inputs,
            "the generated inputs no longer exercise both loading and failing"
        );
    }
}

/// Compares one input's outcomes; `Err` says how they differ.
fn compare(
    ours: &Result<Properties, PropertiesError>,
    java: &Loaded,
    tally: &mut Tally,
) -> Result<(), String> {
    match (ours, java) {
        (Ok(ours), Loaded::Entries(entries)) => compare_entries(ours, entries, tally),
        (
            Err(PropertiesError::MalformedUnicodeEscape { .. }),
            Loaded::Thrown { class, message },
        ) if class == JAVA_MALFORMED_CLASS && message == JAVA_MALFORMED_MESSAGE => {
            tally.failures_agreed += 1;
            Ok(())
        }
        (Ok(_), Loaded::Thrown { .. }) => Err("Java threw, we read the input".into()),
        (Err(_), Loaded::Entries(_)) => Err("we failed, Java read the input".into()),
        (Err(_), Loaded::Thrown { .. }) => Err("both failed, but differently".into()),
    }
}

/// Key by key. Java keys that differ only in unpaired surrogates become one
/// key for us (each surrogate is U+FFFD); then our value must be one of
/// theirs, since the `Hashtable` does not say which came last in the file.
fn compare_entries(
    ours: &Properties,
    java: &[(Vec<u16>, Vec<u16>)],
    tally: &mut Tally,
) -> Result<(), String> {
    let mut theirs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in java {
        for units in [key, value] {
            if char::decode_utf16(units.iter().copied()).any(|c| c.is_err()) {
                tally.unpaired_surrogates += 1;
            }
        }
        theirs
            .entry(String::from_utf16_lossy(key))
            .or_default()
            .push(String::from_utf16_lossy(value));
    }
    let our_keys: Vec<&str> = ours.iter().map(|e| e.key.as_str()).collect();
    let their_keys: Vec<&str> = theirs.keys().map(|k| k.as_str()).collect();
    let mut sorted_ours = our_keys.clone();
    sorted_ours.sort_unstable();
    if sorted_ours != their_keys {
        return Err(format!(
            "keys differ: ours {sorted_ours:?}, Java's {their_keys:?}"
        ));
    }
    for (key, values) in &theirs {
        tally.merged_keys += values.len() - 1;
        let value = ours.get(key).unwrap_or_default();
        if !values.iter().any(|v| v == value) {
            return Err(format!(
                "key {key:?}: our value {value:?}, Java's {values:?}"
            ));
        }
    }
    tally.compared_keys += java.len();
    Ok(())
}

fn describe(ours: &Result<Properties, PropertiesError>) -> String {
    match ours {
        Ok(properties) => format!(
            "{:?}",
            properties
                .iter()
                .map(|e| (e.key.as_str(), e.value.as_str()))
                .collect::<BTreeMap<_, _>>()
        ),
        Err(error) => format!("error: {error}"),
    }
}

/// Java's answer with its strings written like Rust's `{:?}`, except that an
/// unpaired surrogate shows as `\u{d800}` rather than being replaced.
fn describe_java(java: &Loaded) -> String {
    let show = |units: &[u16]| -> String {
        let text: String = char::decode_utf16(units.iter().copied())
            .map(|c| match c {
                Ok(c) => c.escape_debug().to_string(),
                Err(lone) => format!("\\u{{{:x}}}", lone.unpaired_surrogate()),
            })
            .collect();
        format!("\"{text}\"")
    };
    match java {
        Loaded::Entries(entries) => {
            let mut shown: Vec<String> = entries
                .iter()
                .map(|(key, value)| format!("{}: {}", show(key), show(value)))
                .collect();
            shown.sort();
            format!("{{{}}}", shown.join(", "))
        }
        Loaded::Thrown { class, message } => format!("threw {class}: {message}"),
    }
}
