//! The structural guard (`net/src/codec/guard`) on its own: every valid encoding must pass it
//! and then decode to the message that was encoded, including field shapes the shared samples
//! never take (null and empty strings, strings and arrays whose lengths sit on varint size
//! boundaries, non-compact strings up to 32767 bytes, empty and large arrays, unknown tagged
//! fields with tags and sizes on varint boundaries at every nesting level, null and sized
//! bytes); and counts larger than the bytes left must be refused by the guard itself, before
//! kafka-protocol sizes a `Vec` from them.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::protocol::StrBytes;
use kraft_net::codec::guard::{check_request, check_response};
use kraft_net::codec::versions::is_flexible;
use kraft_net::codec::{
    decode_request, decode_response, encode_request_frame, encode_response_frame, KafkaRequest,
    KafkaResponse, RequestHeader, SUPPORTED_APIS,
};
use kraft_net::error::DecodeError;
use kraft_net::samples;
use std::collections::BTreeMap;

/// String lengths around the compact (uvarint length+1: 1, 2 and 3 bytes) and int16 limits.
const LENGTHS: [usize; 7] = [0, 1, 126, 127, 16_382, 16_383, 32_767];
/// Array counts around the 1- and 2-byte uvarint boundaries (compact count+1).
const COUNTS: [usize; 5] = [0, 2, 126, 127, 128];

/// Unknown tagged fields: tag numbers and value sizes on uvarint boundaries (all above the
/// highest tag any of our messages knows, 3).
fn tag_sets() -> Vec<Vec<(i32, usize)>> {
    vec![
        vec![(4, 0)],
        vec![(127, 1), (128, 127)],
        vec![(16_383, 128), (16_384, 16_384)],
        vec![(2_097_151, 0), (i32::MAX, 2_097_152)],
    ]
}

fn text(len: usize) -> StrBytes {
    let s: String = (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    StrBytes::from_string(s)
}

/// One variation of a sample: exactly one dimension differs from the sample.
#[derive(Clone, Debug)]
enum Shape {
    /// Every string field the version has gets this length.
    Len(usize),
    /// Every nullable string the version has is null.
    Null,
    /// Every array gets this many elements (copies of its first).
    Count(usize),
    /// These unknown tagged fields at the top level and in every nested struct (flexible only).
    Tags(Vec<(i32, usize)>),
}

fn tags_map(tags: &[(i32, usize)]) -> BTreeMap<i32, Bytes> {
    tags.iter()
        .map(|&(tag, size)| (tag, Bytes::from(vec![0xa5; size])))
        .collect()
}

fn resize<T: Clone>(v: &mut Vec<T>, n: usize) {
    if let Some(first) = v.first().cloned() {
        v.resize(n, first);
    }
}

#[path = "support/shape.rs"]
mod shape;

/// Encodes `request` at `v` with a header, runs the guard on its body, decodes the frame and
/// compares: the guard must accept and the decoder must give back what was encoded.
fn check_valid_request(api_key: i16, v: i16, request: &KafkaRequest, what: &str) {
    let header = RequestHeader {
        api_key,
        api_version: v,
        correlation_id: 7,
        client_id: Some("guard-test".into()),
    };
    let frame = encode_request_frame(&header, request)
        .unwrap_or_else(|e| panic!("{what}: api {api_key} v{v} does not encode: {e}"));
    let header_len =
        4 + 2 + 2 + 4 + 2 + "guard-test".len() + usize::from(is_flexible(api_key, v) == Some(true));
    let body = &frame[header_len..];
    if let Err(e) = check_request(api_key, v, body) {
        panic!("{what}: guard refuses a valid api {api_key} v{v} body: {e}");
    }
    let decoded = decode_request(Bytes::copy_from_slice(&frame[4..]))
        .unwrap_or_else(|e| panic!("{what}: api {api_key} v{v}: {e}"));
    assert_eq!(&decoded.body, request, "{what}: api {api_key} v{v}");
}

#[test]
fn valid_requests_of_every_field_shape_pass_the_guard_and_decode() {
    let mut shapes: Vec<Shape> = LENGTHS.iter().map(|&n| Shape::Len(n)).collect();
    shapes.push(Shape::Null);
    shapes.extend(COUNTS.iter().map(|&n| Shape::Count(n)));
    shapes.extend(tag_sets().into_iter().map(Shape::Tags));
    let mut checked = 0;
    for (api_key, v, sample) in samples::kafka_requests() {
        for shape in &shapes {
            let flexible = is_flexible(api_key, v) == Some(true);
            if matches!(shape, Shape::Tags(_)) && !flexible {
                continue;
            }
            let mut request = sample.clone();
            shape::apply_request(&mut request, v, shape);
            check_valid_request(api_key, v, &request, &format!("{shape:?}"));
            checked += 1;
        }
    }
    assert!(checked > 400, "only {checked} variations checked");
}

#[test]
fn valid_responses_of_every_field_shape_pass_the_guard_and_decode() {
    let mut shapes: Vec<Shape> = LENGTHS.iter().map(|&n| Shape::Len(n)).collect();
    shapes.push(Shape::Null);
    shapes.extend(COUNTS.iter().map(|&n| Shape::Count(n)));
    shapes.extend(tag_sets().into_iter().map(Shape::Tags));
    let mut checked = 0;
    for response in samples::raft_responses() {
        for range in SUPPORTED_APIS {
            for v in range.min_version..=range.max_version {
                let sample = samples::response_to_kafka(&response, v);
                if sample.api_key() != range.api_key {
                    continue;
                }
                for shape in &shapes {
                    if matches!(shape, Shape::Tags(_))
                        && is_flexible(range.api_key, v) != Some(true)
                    {
                        continue;
                    }
                    let mut m = sample.clone();
                    shape::apply_response(&mut m, v, shape);
                    check_valid_response(range.api_key, v, &m, &format!("{shape:?}"));
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 200, "only {checked} variations checked");
}

fn check_valid_response(api_key: i16, v: i16, response: &KafkaResponse, what: &str) {
    let frame = encode_response_frame(9, v, response)
        .unwrap_or_else(|e| panic!("{what}: api {api_key} v{v} does not encode: {e}"));
    let flexible_header = api_key != 18 && is_flexible(api_key, v) == Some(true);
    let body = &frame[4 + 4 + usize::from(flexible_header)..];
    if let Err(e) = check_response(api_key, v, body) {
        panic!("{what}: guard refuses a valid api {api_key} v{v} response: {e}");
    }
    let (correlation_id, decoded) =
        decode_response(Bytes::copy_from_slice(&frame[4..]), api_key, v)
            .unwrap_or_else(|e| panic!("{what}: api {api_key} v{v}: {e}"));
    assert_eq!(correlation_id, 9);
    assert_eq!(&decoded, response, "{what}: api {api_key} v{v}");
}

fn refused(result: Result<(), DecodeError>, what: &str) {
    match result {
        Err(DecodeError::Invalid { .. }) => {}
        other => panic!("{what}: the guard did not refuse it: {other:?}"),
    }
}

/// The reason the guard exists: a count beyond the bytes left never reaches kafka-protocol.
#[test]
fn counts_beyond_the_bytes_left_are_refused_by_the_guard() {
    // Vote v2: null cluster id, voter id, then a compact topics count of 2^32 - 2.
    let mut body = BytesMut::new();
    body.put_u8(0);
    body.put_i32(1);
    body.put_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    refused(check_request(52, 2, &body), "Vote topics count 2^32-2");
    // The same count as one more than the bytes left after it (each element takes >= 1 byte).
    let mut body = BytesMut::new();
    body.put_u8(0);
    body.put_i32(1);
    body.put_u8(4 + 1); // 4 topics
    body.put_slice(&[0, 0, 0]);
    refused(check_request(52, 2, &body), "Vote 4 topics in 3 bytes");
    // EndQuorumEpoch v0 (not flexible): null cluster id, int32 topics count 0x7fffffff.
    let mut body = BytesMut::new();
    body.put_i16(-1);
    body.put_i32(i32::MAX);
    refused(
        check_request(54, 0, &body),
        "EndQuorumEpoch v0 topics count i32::MAX",
    );
    // A negative non-compact count other than -1 (null).
    let mut body = BytesMut::new();
    body.put_i16(-1);
    body.put_i32(-2);
    refused(
        check_request(54, 0, &body),
        "EndQuorumEpoch v0 topics count -2",
    );
    // DescribeQuorum: empty topics, then 200 tagged fields claimed in 2 bytes.
    refused(
        check_request(55, 0, &[1, 0xc8, 0x01, 0, 0]),
        "DescribeQuorum 200 tagged fields",
    );
    // Fetch response v17: a compact records length of 2^31 in a 30-byte body is truncation.
    let mut frame = BytesMut::new();
    frame.put_slice(&[0; 4]);
    assert!(check_response(1, 17, &frame).is_err());
}
