//! Differential codec test against Apache Kafka's own classes (issue 12, item 5).
//!
//! - Every request and response frame our node sends (the shared samples through our
//!   conversions and encoders, error answers, the zero-copy Fetch responses) is read by Kafka's
//!   generated `*RequestData` / `*ResponseData` and header classes, written back by them, and
//!   must come back byte for byte.
//! - Kafka writes random messages of every API and version we serve (every field of the
//!   version's schema, tagged fields included, nulls where nullable, empty and full arrays); we
//!   decode them with the node's decoders (structural guard included), encode them again, and
//!   must produce Kafka's bytes.
//! - Our record batches (data and LeaderChange) pass Kafka's CRC check and reader, and Kafka's
//!   builder rebuilds them byte for byte; Kafka's batches (data, LeaderChange, SnapshotHeader,
//!   SnapshotFooter, KRaftVersion, Voters) are read by our records crate with the same result.
//!
//! Both message tests iterate `SUPPORTED_APIS`, so an API or version added there must be
//! compared (samples in `net/src/samples.rs`, an `error_response` arm, a `decode_response` arm):
//! AddRaftVoter v1 (KIP-1186), which kafka-protocol 0.18 lacks, is checked against Kafka 4.4
//! this way; Kafka 4.0 lacks it (listed as absent).
//!
//! Any difference is a bug on our side: Kafka is the reference. Each mismatch names the api,
//! version, direction and first differing byte. Every API/version must be compared at least
//! once in each direction, so a test that compares nothing fails.

mod codec_probe;

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use codec_probe::ours::{self, Labeled, Rng};
use codec_probe::*;
use kraft_interop::kafka::versions_under_test;
use kraft_interop::Kafka;
use kraft_net::codec::{
    decode_request, decode_response, encode_request_frame, encode_response_frame, SUPPORTED_APIS,
};

/// Random messages Kafka writes per API, version and direction.
const GENERATED_PER_VERSION: i32 = 30;
/// Rounds of Kafka-built batches (seven batches each) and of our batches (three blobs each).
const BATCH_ROUNDS: usize = 20;
/// Mismatches printed in full before the rest are only counted.
const SHOWN_MISMATCHES: usize = 40;

type Counts = BTreeMap<(i16, i16, &'static str), usize>;
/// Versions we serve that the Kafka release under test does not have (nothing to compare).
type Absent = BTreeSet<(i16, i16)>;

fn kind_name(kind: i8) -> &'static str {
    match kind {
        KIND_REQUEST | KIND_GEN_REQUESTS => "request",
        KIND_RESPONSE | KIND_GEN_RESPONSES => "response",
        _ => "batches",
    }
}

/// Fails with every mismatch, and when some served API/version that the release has was
/// compared zero times.
fn assert_clean(
    test: &str,
    kafka: &Kafka,
    mismatches: &[String],
    counts: &Counts,
    absent: &Absent,
) {
    let mut missing = Vec::new();
    for range in SUPPORTED_APIS {
        for v in range.min_version..=range.max_version {
            if absent.contains(&(range.api_key, v)) {
                continue;
            }
            for kind in ["request", "response"] {
                if counts.get(&(range.api_key, v, kind)).copied().unwrap_or(0) == 0 {
                    missing.push(format!("api {} v{v} {kind}", range.api_key));
                }
            }
        }
    }
    let total: usize = counts.values().sum();
    let mut per_api: BTreeMap<i16, usize> = BTreeMap::new();
    for ((api_key, _, _), n) in counts {
        *per_api.entry(*api_key).or_default() += n;
    }
    eprintln!(
        "{test} (Kafka {}): {total} messages compared, per api key {per_api:?}; \
         api versions this release lacks: {absent:?}",
        kafka.version
    );
    let shown: Vec<&String> = mismatches.iter().take(SHOWN_MISMATCHES).collect();
    assert!(
        mismatches.is_empty(),
        "{test} (Kafka {}): {} of {} cases differ:\n{}",
        kafka.version,
        mismatches.len(),
        total + mismatches.len(),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        missing.is_empty(),
        "{test}: nothing compared for {missing:?}"
    );
}

#[test]
fn kafka_reads_every_frame_we_encode_byte_for_byte() {
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate("interop_codec::ours_to_kafka", &version) else {
            return;
        };
        let probe = Probe::compile(&kafka);
        let cases = ours::message_cases(&mut Rng::new(0x5eed_0001));
        let results = probe.run(&cases.iter().map(|l| l.case.clone()).collect::<Vec<_>>());
        let mut counts = Counts::new();
        let mut mismatches = Vec::new();
        let mut absent = Absent::new();
        for (Labeled { label, case }, result) in cases.iter().zip(results) {
            let what = format!(
                "api {} v{} {} ours->Kafka ({label})",
                case.api_key,
                case.version,
                kind_name(case.kind)
            );
            match result {
                Outcome::VersionUnknown => {
                    absent.insert((case.api_key, case.version));
                }
                Outcome::Err(e) => mismatches.push(format!("{what}: Kafka cannot read it: {e}")),
                Outcome::Ok(kafkas) => match first_difference(&case.bytes, &kafkas) {
                    Some(diff) => mismatches.push(format!("{what}: {diff}")),
                    None => {
                        *counts
                            .entry((case.api_key, case.version, kind_name(case.kind)))
                            .or_default() += 1
                    }
                },
            }
        }
        assert_clean("ours->Kafka", &kafka, &mismatches, &counts, &absent);
    }
}

/// Our decode of a request frame Kafka wrote, encoded again by us.
fn our_request_round_trip(frame: &[u8]) -> Result<Vec<u8>, String> {
    let decoded = decode_request(Bytes::copy_from_slice(frame)).map_err(|e| format!("{e:?}"))?;
    let out = encode_request_frame(&decoded.header, &decoded.body).map_err(|e| format!("{e:?}"))?;
    Ok(out[4..].to_vec())
}

/// Our decode of a response frame Kafka wrote (the node's client decoder, which reads every
/// response of the APIs we serve, the voter changes included), encoded again by us.
fn our_response_round_trip(api_key: i16, v: i16, frame: &[u8]) -> Result<Vec<u8>, String> {
    let (correlation_id, body) =
        decode_response(Bytes::copy_from_slice(frame), api_key, v).map_err(|e| format!("{e:?}"))?;
    let out = encode_response_frame(correlation_id, v, &body).map_err(|e| format!("{e:?}"))?;
    Ok(out[4..].to_vec())
}

/// One generation case per served API, version and direction.
fn generation_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for range in SUPPORTED_APIS {
        for v in range.min_version..=range.max_version {
            for kind in [KIND_GEN_REQUESTS, KIND_GEN_RESPONSES] {
                let seed = (i64::from(range.api_key) << 32) | (i64::from(v) << 8) | i64::from(kind);
                cases.push(Case {
                    kind,
                    api_key: range.api_key,
                    version: v,
                    bytes: generation_params(seed, GENERATED_PER_VERSION),
                });
            }
        }
    }
    cases
}

#[test]
fn we_read_every_frame_kafka_encodes_byte_for_byte() {
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate("interop_codec::kafka_to_ours", &version) else {
            return;
        };
        let probe = Probe::compile(&kafka);
        let cases = generation_cases();
        let results = probe.run(&cases);
        let mut counts = Counts::new();
        let mut mismatches = Vec::new();
        let mut absent = Absent::new();
        for (case, result) in cases.iter().zip(results) {
            let (api_key, v) = (case.api_key, case.version);
            let what = format!("api {api_key} v{v} {} Kafka->ours", kind_name(case.kind));
            let frames = match result {
                Outcome::Ok(frames) => frames,
                Outcome::VersionUnknown => {
                    absent.insert((api_key, v));
                    continue;
                }
                Outcome::Err(e) => {
                    mismatches.push(format!("{what}: Kafka could not generate: {e}"));
                    continue;
                }
            };
            for (i, frame) in split_items(&frames).into_iter().enumerate() {
                let ours = if case.kind == KIND_GEN_REQUESTS {
                    our_request_round_trip(frame)
                } else {
                    our_response_round_trip(api_key, v, frame)
                };
                match ours.map(|ours| first_difference(&ours, frame)) {
                    Err(e) => mismatches.push(format!(
                        "{what} #{i}: we cannot read it: {e}; frame {frame:02x?}"
                    )),
                    Ok(Some(diff)) => mismatches.push(format!("{what} #{i}: {diff}")),
                    Ok(None) => {
                        *counts
                            .entry((api_key, v, kind_name(case.kind)))
                            .or_default() += 1
                    }
                }
            }
        }
        assert_clean("Kafka->ours", &kafka, &mismatches, &counts, &absent);
    }
}

/// Our batches through Kafka's reader and builder: CRC valid, rebuilt byte for byte, and
/// Kafka's account of every record equals ours.
fn check_our_batches(probe: &Probe, mismatches: &mut Vec<String>) -> usize {
    let cases = ours::batch_cases(&mut Rng::new(0x5eed_0002), BATCH_ROUNDS);
    let results = probe.run(&cases.iter().map(|l| l.case.clone()).collect::<Vec<_>>());
    let mut compared = 0;
    for (Labeled { label, case }, result) in cases.iter().zip(results) {
        let what = format!("batches ours->Kafka ({label})");
        let reply = match result {
            Outcome::Ok(reply) => reply,
            other => {
                let e = format!("{other:?}");
                mismatches.push(format!("{what}: Kafka rejects them: {e}"));
                continue;
            }
        };
        let (rebuilt, rest) = length_prefixed(&reply);
        let kafkas_text = String::from_utf8_lossy(length_prefixed(rest).0).into_owned();
        if let Some(diff) = first_difference(&case.bytes, rebuilt) {
            mismatches.push(format!(
                "{what}: Kafka's builder writes them differently: {diff}"
            ));
        }
        match ours::describe(&case.bytes) {
            Ok(text) if text == kafkas_text => compared += 1,
            Ok(text) => mismatches.push(format!(
                "{what}: readers disagree:\nours:\n{text}Kafka's:\n{kafkas_text}"
            )),
            Err(e) => mismatches.push(format!("{what}: {e}")),
        }
    }
    compared
}

/// Batches Kafka builds, read by our records crate; the ones in the shapes our node writes are
/// also rebuilt by our builder and must equal Kafka's bytes. Returns the control lines seen.
fn check_kafkas_batches(probe: &Probe, mismatches: &mut Vec<String>) -> BTreeMap<String, usize> {
    let case = Case {
        kind: KIND_GEN_BATCHES,
        api_key: 0,
        version: 0,
        bytes: generation_params(0x5eed_0003, BATCH_ROUNDS as i32),
    };
    let reply = match probe.run(std::slice::from_ref(&case)).remove(0) {
        Outcome::Ok(reply) => reply,
        other => {
            let e = format!("{other:?}");
            mismatches.push(format!("Kafka could not build batches: {e}"));
            return BTreeMap::new();
        }
    };
    let items = split_items(&reply);
    let mut seen = BTreeMap::new();
    for (i, pair) in items.chunks(2).enumerate() {
        let (bytes, kafkas_text) = (pair[0], String::from_utf8_lossy(pair[1]).into_owned());
        let what = format!("batch #{i} Kafka->ours");
        match ours::describe(bytes) {
            Ok(text) if text == kafkas_text => {}
            Ok(text) => mismatches.push(format!(
                "{what}: readers disagree:\nours:\n{text}Kafka's:\n{kafkas_text}"
            )),
            Err(e) => mismatches.push(format!("{what}: {e}\nKafka's:\n{kafkas_text}")),
        }
        let kind = kafkas_text
            .lines()
            .find_map(|l| {
                l.strip_prefix("control ")
                    .map(|c| c.split(' ').next().unwrap_or("").to_string())
            })
            .unwrap_or_else(|| "data".into());
        if let Some(ours) = ours::rebuild_like_our_node(bytes) {
            if let Some(diff) = first_difference(&ours, bytes) {
                mismatches.push(format!(
                    "{what} ({kind}): our builder writes it differently: {diff}"
                ));
            }
            *seen.entry(format!("{kind} rebuilt")).or_default() += 1;
        }
        *seen.entry(kind).or_default() += 1;
    }
    seen
}

#[test]
fn record_batches_read_and_rebuilt_both_ways() {
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate("interop_codec::batches", &version) else {
            return;
        };
        let probe = Probe::compile(&kafka);
        let mut mismatches = Vec::new();
        let ours_compared = check_our_batches(&probe, &mut mismatches);
        let seen = check_kafkas_batches(&probe, &mut mismatches);
        eprintln!("batches (Kafka {version}): ours->Kafka {ours_compared}, Kafka->ours {seen:?}");
        let shown: Vec<&String> = mismatches.iter().take(SHOWN_MISMATCHES).collect();
        assert!(
            mismatches.is_empty(),
            "{} batch mismatches:\n{}",
            mismatches.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_eq!(
            ours_compared,
            5 * BATCH_ROUNDS,
            "every blob of ours compared"
        );
        for kind in [
            "data",
            "leader_change",
            "snapshot_header",
            "snapshot_footer",
            "kraft_version",
            "voters",
            "data rebuilt",
            "leader_change rebuilt",
            "kraft_version rebuilt",
            "voters rebuilt",
        ] {
            assert!(
                seen.get(kind).copied().unwrap_or(0) >= BATCH_ROUNDS,
                "too few Kafka batches of kind {kind}: {seen:?}"
            );
        }
    }
}
