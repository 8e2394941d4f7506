//! Randomized hardening: 1,000,000 mutated request frames (bit flips, truncation,
//! length-field corruption, byte insertion/deletion, chunk duplication of valid requests of every
//! handled API and version) go through the server's own per-frame decision
//! (`kraft_net::server::dispatch`: framing, header, guard, kafka-protocol, conversion), and each
//! outcome is judged (`support::oracle`): a request for the core re-encodes to itself, a reply is
//! Kafka's response with the README's error code and the request's correlation id, a close is
//! justified. After every 16 mutated frames a valid sample goes through too (62,500 in all) and
//! must decode byte-exactly. Mutated responses go through the client's decode path. Nothing may
//! panic or abort. Seeded, so a failure reproduces exactly:
//! `KRAFT_NET_HARDENING_SEED=<seed> cargo test -p kraft-net --release --test hardening`.

mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};

use bytes::{Bytes, BytesMut};
use kraft_net::codec::{decode_request, decode_response, encode_request_frame, FrameDecoder};
use kraft_net::convert;
use kraft_net::samples;
use kraft_net::server::{dispatch, Dispatch, Reply};
use support::oracle::{judge, Tally};

const DEFAULT_SEED: u64 = 0x6b72_6166_745f_6e65;
const REQUEST_FRAMES: u64 = 1_000_000;
/// One valid sample after this many mutated frames: 62,500 in all.
const MUTATED_PER_VALID: u64 = 16;
const RESPONSE_FRAMES: u64 = 200_000;
/// Small enough that oversize prefixes are common, large enough for every sample.
const MAX_FRAME_SIZE_BYTES: usize = 64 * 1024;

/// SplitMix64: tiny, fast, and good enough to drive mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Values that sit on the boundaries length and count fields care about.
const INTERESTING: [&[u8]; 16] = [
    &[0x00],
    &[0x01],
    &[0x7f],
    &[0x80],
    &[0xff],
    &[0xff, 0xff],
    &[0x7f, 0xff],
    &[0x80, 0x00],
    &[0x00, 0x00],
    &[0xff, 0xff, 0xff, 0xff],
    &[0xff, 0xff, 0xff, 0xfe],
    &[0x7f, 0xff, 0xff, 0xff],
    &[0x40, 0x00, 0x00, 0x00],
    &[0x00, 0x01, 0x00, 0x00],
    &[0xff, 0xff, 0xff, 0xff, 0x0f],
    &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
];

/// Applies 1-4 random mutations to `input` (a frame with its size prefix) into `out`.
fn mutate(rng: &mut Rng, input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(input);
    for _ in 0..1 + rng.below(4) {
        let len = out.len();
        match rng.below(7) {
            0 => {
                if len > 0 {
                    let i = rng.below(len);
                    out[i] ^= 1 << rng.below(8);
                }
            }
            1 => out.truncate(rng.below(len + 1)),
            2 => {
                let value = INTERESTING[rng.below(INTERESTING.len())];
                let at = rng.below(len + 1);
                for (k, b) in value.iter().enumerate() {
                    if at + k < out.len() {
                        out[at + k] = *b;
                    } else {
                        out.push(*b);
                    }
                }
            }
            3 => {
                let at = rng.below(len + 1);
                for _ in 0..1 + rng.below(4) {
                    out.insert(at, rng.next() as u8);
                }
            }
            4 => {
                if len > 0 {
                    let at = rng.below(len);
                    let n = (1 + rng.below(8)).min(len - at);
                    out.drain(at..at + n);
                }
            }
            5 => {
                if len > 0 {
                    let i = rng.below(len);
                    out[i] = rng.next() as u8;
                }
            }
            _ => {
                if len > 1 {
                    let from = rng.below(len);
                    let n = 1 + rng.below((len - from).min(32));
                    let chunk = out[from..from + n].to_vec();
                    let at = rng.below(len + 1);
                    out.splice(at..at, chunk);
                }
            }
        }
    }
    // Mostly keep the size prefix consistent so the mutation reaches the decoders; otherwise
    // leave it as mutated to exercise framing.
    if out.len() >= 4 && rng.below(4) != 0 {
        let size = (out.len() - 4) as u32;
        out[..4].copy_from_slice(&size.to_be_bytes());
    }
}

#[derive(Default, Debug)]
struct Outcome {
    frames: u64,
    framing_errors: u64,
    tally: Tally,
}

/// The server's inbound path for one connection's bytes: frames split as the server splits
/// them, each dispatched and judged; a framing error closes the connection (stops here).
fn feed_requests(bytes: &[u8], outcome: &mut Outcome) -> Result<(), String> {
    let decoder = FrameDecoder::new(MAX_FRAME_SIZE_BYTES);
    let mut buf = BytesMut::from(bytes);
    // Bounded: each frame consumes at least its 4-byte prefix.
    loop {
        match decoder.decode(&mut buf) {
            Ok(Some(frame)) => {
                outcome.frames += 1;
                judge(&frame, &mut outcome.tally)?;
            }
            Ok(None) => return Ok(()),
            Err(_) => {
                outcome.framing_errors += 1;
                return Ok(());
            }
        }
    }
}

/// A valid sample frame (size prefix included) must come out of the server's decision exactly
/// as it went in: re-encoding what was decoded gives the same bytes.
fn check_valid(frame: &[u8], tally: &mut Tally) -> Result<(), String> {
    let body = Bytes::copy_from_slice(&frame[4..]);
    let again = match dispatch(body.clone()) {
        Dispatch::Core { header, request } => {
            let wire = convert::request_to_kafka(&request, header.api_version);
            encode_request_frame(&header, &wire)
        }
        Dispatch::Reply {
            reply: Reply::ApiVersions,
            ..
        } => {
            let decoded = decode_request(body.clone()).map_err(|e| e.to_string())?;
            encode_request_frame(&decoded.header, &decoded.body)
        }
        other => return Err(format!("valid frame dispatched as {other:?}")),
    }
    .map_err(|e| e.to_string())?;
    if &again[..] != frame {
        return Err(format!("decoded and re-encoded as {:02x?}", &again[..]));
    }
    judge(&body, tally)
}

fn seed() -> u64 {
    std::env::var("KRAFT_NET_HARDENING_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

#[test]
fn a_million_mutated_request_frames_get_the_documented_outcome() {
    let seed = seed();
    let corpus: Vec<Vec<u8>> = samples::request_frames()
        .into_iter()
        .map(|(_, _, frame)| frame.to_vec())
        .collect();
    let mut rng = Rng(seed);
    let mut input = Vec::new();
    let mut outcome = Outcome::default();
    let mut valid = 0u64;
    for iteration in 0..REQUEST_FRAMES {
        let base = &corpus[rng.below(corpus.len())];
        mutate(&mut rng, base, &mut input);
        let result = catch_unwind(AssertUnwindSafe(|| feed_requests(&input, &mut outcome)));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(wrong)) => {
                panic!("seed {seed} iteration {iteration}: {wrong}\non input {input:02x?}")
            }
            Err(_) => panic!("panic at seed {seed} iteration {iteration} on input {input:02x?}"),
        }
        if (iteration + 1) % MUTATED_PER_VALID == 0 {
            let sample = &corpus[valid as usize % corpus.len()];
            if let Err(wrong) = check_valid(sample, &mut outcome.tally) {
                panic!(
                    "valid sample {} after iteration {iteration}: {wrong}",
                    valid
                );
            }
            valid += 1;
        }
    }
    assert_eq!(valid, 62_500);
    // Every outcome was reached: the mutations exercise each rule, not just one.
    let t = &outcome.tally;
    assert!(t.core > 10_000, "{outcome:?}");
    assert!(t.closed > 100_000, "{outcome:?}");
    assert!(outcome.framing_errors > 1_000, "{outcome:?}");
    for (count, what) in [
        (t.api_versions, "ApiVersions"),
        (t.api_versions_fallback, "ApiVersions fallback"),
        (t.api_versions_invalid, "ApiVersions INVALID_REQUEST"),
        (t.wrong_shape, "wrong shape INVALID_REQUEST"),
    ] {
        assert!(count > 0, "no {what} reply in {outcome:?}");
    }
    eprintln!("hardening: {outcome:?}");
}

#[test]
fn mutated_response_frames_never_panic_the_client_decoder() {
    let seed = seed() ^ 0x5a5a;
    let corpus: Vec<(i16, i16, Vec<u8>)> = samples::response_frames()
        .into_iter()
        .map(|(k, v, frame)| {
            let mut with_prefix = (frame.len() as u32).to_be_bytes().to_vec();
            with_prefix.extend_from_slice(&frame);
            (k, v, with_prefix)
        })
        .collect();
    let mut rng = Rng(seed);
    let mut input = Vec::new();
    let mut decoded = 0u64;
    for iteration in 0..RESPONSE_FRAMES {
        let (api_key, v, base) = &corpus[rng.below(corpus.len())];
        mutate(&mut rng, base, &mut input);
        let body = Bytes::copy_from_slice(input.get(4..).unwrap_or_default());
        let result = catch_unwind(AssertUnwindSafe(|| {
            if let Ok((_, response)) = decode_response(body, *api_key, *v) {
                decoded += 1;
                let _ = convert::response_from_kafka(response, *v);
            }
        }));
        assert!(
            result.is_ok(),
            "panic at seed {seed} iteration {iteration} (api {api_key} v{v}) on input {input:02x?}"
        );
    }
    assert!(decoded > 1_000, "only {decoded} mutated responses decoded");
}

/// Deterministic complement to the random run: every byte position of every sample request
/// gets each boundary value (huge varints and int32s included), so every length and count
/// field of every API and version is hit with a value far beyond the frame.
#[test]
fn boundary_values_at_every_position_never_panic() {
    let mut outcome = Outcome::default();
    let mut input = Vec::new();
    let mut inputs = 0u64;
    for (api_key, v, frame) in samples::request_frames() {
        for at in 4..frame.len() {
            inputs += INTERESTING.len() as u64;
            for value in INTERESTING {
                input.clear();
                input.extend_from_slice(&frame);
                for (k, b) in value.iter().enumerate() {
                    if at + k < input.len() {
                        input[at + k] = *b;
                    }
                }
                let result = catch_unwind(AssertUnwindSafe(|| feed_requests(&input, &mut outcome)));
                match result {
                    Ok(Ok(())) => {}
                    Ok(Err(wrong)) => panic!(
                        "api {api_key} v{v} with {value:02x?} at {at}: {wrong}\n{input:02x?}"
                    ),
                    Err(_) => panic!(
                        "panic for api {api_key} v{v} with {value:02x?} at {at}: {input:02x?}"
                    ),
                }
            }
        }
    }
    // The size prefix is left intact, so every input is exactly one frame.
    assert_eq!(outcome.frames, inputs, "{outcome:?}");
    assert!(
        outcome.tally.closed > 0 && outcome.tally.core > 0,
        "{outcome:?}"
    );
}
