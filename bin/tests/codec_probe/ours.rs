//! Our side of the differential test: the frames and batches our node writes, as probe cases,
//! and our readers' account of batches (the same text the probe prints from Kafka's reader).

use std::fmt::Write as _;

use kraft_engine::message::{
    EpochEndOffset, ErrorCode, FetchResponse, LeaderIdAndEpoch, NodeEndpoint, Records, Response,
    SnapshotId, Uuid,
};
use kraft_net::codec::fetch_response::{
    encode_fetch_response_frame, MAX_ZERO_COPY_FETCH_VERSION, MIN_ZERO_COPY_FETCH_VERSION,
};
use kraft_net::codec::response::{ERROR_INVALID_REQUEST, ERROR_UNSUPPORTED_VERSION};
use kraft_net::codec::{encode_response_frame, error_response, rejection_frame, SUPPORTED_APIS};
use kraft_net::samples;
use kraft_records::{
    append_kraft_control_records, build_kraft_control_batch, build_leader_change_batch,
    parse_control_record, BatchBuilder, BatchIter, ControlRecord, ControlRecordType,
    LeaderChangeMessage, VoterEndpoint, VoterRecord, VotersRecord, ATTRIBUTE_CONTROL,
};

use super::{Case, KIND_BATCHES, KIND_REQUEST, KIND_RESPONSE};

/// A case and what it is, for failure messages.
pub struct Labeled {
    pub label: String,
    pub case: Case,
}

fn labeled(label: String, kind: i8, api_key: i16, version: i16, bytes: &[u8]) -> Labeled {
    Labeled {
        label,
        case: Case {
            kind,
            api_key,
            version,
            bytes: bytes.to_vec(),
        },
    }
}

/// A small seeded generator (xorshift64*): reproducible cases without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
    pub fn bytes(&mut self, max_len: u64) -> Vec<u8> {
        (0..self.below(max_len + 1))
            .map(|_| self.next() as u8)
            .collect()
    }
}

/// Every request and response frame our node sends (without the size prefix): the shared
/// samples through our conversions and encoders, the error answers, and the zero-copy Fetch
/// responses around real batches.
pub fn message_cases(rng: &mut Rng) -> Vec<Labeled> {
    let mut out = Vec::new();
    for (i, (api_key, v, frame)) in samples::request_frames().into_iter().enumerate() {
        let label = format!("sample request #{i}");
        out.push(labeled(label, KIND_REQUEST, api_key, v, &frame[4..]));
    }
    for (i, (api_key, v, frame)) in samples::response_frames().into_iter().enumerate() {
        let label = format!("sample response #{i}");
        out.push(labeled(label, KIND_RESPONSE, api_key, v, &frame));
    }
    for range in SUPPORTED_APIS {
        for v in range.min_version..=range.max_version {
            for code in [ERROR_UNSUPPORTED_VERSION, ERROR_INVALID_REQUEST] {
                let body =
                    error_response(range.api_key, code).expect("served api has an error response");
                let frame = encode_response_frame(rng.next() as i32, v, &body).expect("encodes");
                let label = format!("error response {code}");
                out.push(labeled(label, KIND_RESPONSE, range.api_key, v, &frame[4..]));
            }
        }
    }
    // KIP-511: an ApiVersions request at a version we do not know is answered in v0.
    let frame = rejection_frame(18, i16::MAX, 77, ERROR_UNSUPPORTED_VERSION);
    out.push(labeled(
        "ApiVersions fallback".into(),
        KIND_RESPONSE,
        18,
        0,
        &frame[4..],
    ));
    out.extend(zero_copy_fetch_cases(rng));
    out
}

/// The hand-written Fetch response encoder (what the server really sends for Fetch), on the
/// sample responses and on random ones, with one of our batches as the records.
fn zero_copy_fetch_cases(rng: &mut Rng) -> Vec<Labeled> {
    let mut responses: Vec<FetchResponse> = samples::raft_responses()
        .into_iter()
        .filter_map(|r| match r {
            Response::Fetch(f) => Some(f),
            _ => None,
        })
        .collect();
    responses.extend((0..40).map(|_| random_fetch_response(rng)));
    let mut out = Vec::new();
    for (i, response) in responses.iter().enumerate() {
        let records = if rng.chance(3) {
            Vec::new()
        } else {
            data_batches(rng)
        };
        for v in MIN_ZERO_COPY_FETCH_VERSION..=MAX_ZERO_COPY_FETCH_VERSION {
            let frame = encode_fetch_response_frame(rng.next() as i32, v, response, records.len())
                .expect("zero-copy fetch response encodes");
            let mut bytes = frame.prefix[4..].to_vec();
            if response.error_code.is_none() {
                bytes.extend_from_slice(&records);
            }
            bytes.extend_from_slice(&frame.suffix);
            let label = format!("zero-copy Fetch response #{i}");
            out.push(labeled(label, KIND_RESPONSE, 1, v, &bytes));
        }
    }
    out
}

fn random_fetch_response(rng: &mut Rng) -> FetchResponse {
    let small = |rng: &mut Rng| rng.below(1 << 20) as i64;
    let pick = |rng: &mut Rng, none: bool| !none && rng.chance(2);
    let error = if rng.chance(5) {
        ErrorCode::NOT_LEADER_OR_FOLLOWER
    } else {
        ErrorCode::NONE
    };
    let diverging = pick(rng, false);
    let leader = pick(rng, false);
    let snapshot = pick(rng, false);
    let endpoints = (0..rng.below(4))
        .map(|n| NodeEndpoint {
            node_id: n as i32 + 1,
            // Now and then past 127 bytes, where compact lengths and tag sizes take two bytes.
            host: format!("host-{}.example", rng.below(1000))
                + &"h".repeat(if rng.chance(4) { 200 } else { 0 }),
            port: rng.next() as u16,
        })
        .collect();
    FetchResponse {
        throttle_time_ms: rng.below(100) as i32,
        error_code: error,
        topic_id: Uuid(
            rng.next()
                .to_be_bytes()
                .repeat(2)
                .try_into()
                .expect("16 bytes"),
        ),
        partition: rng.below(4) as i32,
        partition_error_code: if rng.chance(4) {
            ErrorCode::OFFSET_OUT_OF_RANGE
        } else {
            ErrorCode::NONE
        },
        high_watermark: small(rng),
        log_start_offset: small(rng),
        diverging_epoch: if diverging {
            EpochEndOffset {
                epoch: rng.below(100) as i32,
                end_offset: small(rng),
            }
        } else {
            EpochEndOffset::NONE
        },
        current_leader: if leader {
            LeaderIdAndEpoch {
                leader_id: rng.below(10) as i32,
                leader_epoch: rng.below(100) as i32,
            }
        } else {
            LeaderIdAndEpoch {
                leader_id: -1,
                leader_epoch: -1,
            }
        },
        snapshot_id: if snapshot {
            SnapshotId {
                end_offset: small(rng),
                epoch: rng.below(100) as i32,
            }
        } else {
            SnapshotId::NONE
        },
        records: Records::Empty,
        node_endpoints: endpoints,
    }
}

/// One to three data batches as our leader writes them (null keys, one timestamp per batch).
pub fn data_batches(rng: &mut Rng) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut offset = rng.below(1 << 30) as i64;
    for _ in 0..1 + rng.below(3) {
        let epoch = rng.below(1000) as i32;
        let timestamp = 1_700_000_000_000 + rng.below(1 << 32) as i64;
        let mut builder = BatchBuilder::new(&mut buf, offset, epoch, timestamp);
        for _ in 0..1 + rng.below(6) {
            builder.append_value(&rng.bytes(300));
        }
        offset += i64::from(builder.records_count());
        builder.finish();
    }
    buf
}

/// A LeaderChange control batch as our new leader writes it.
pub fn leader_change_batch(rng: &mut Rng) -> Vec<u8> {
    let ids = |rng: &mut Rng| (0..rng.below(5)).map(|_| rng.below(1000) as i32).collect();
    let msg = LeaderChangeMessage {
        version: 0,
        leader_id: rng.below(1000) as i32,
        voters: ids(rng),
        granting_voters: ids(rng),
    };
    let mut buf = Vec::new();
    let offset = rng.below(1 << 30) as i64;
    let timestamp = 1_700_000_000_000 + rng.below(1 << 32) as i64;
    build_leader_change_batch(
        &mut buf,
        offset,
        1 + rng.below(1000) as i32,
        timestamp,
        &msg,
    );
    buf
}

/// A random voter set, as a leader or the bootstrap checkpoint writes it.
pub fn voters_record(rng: &mut Rng) -> VotersRecord {
    let voters = (0..1 + rng.below(5))
        .map(|i| VoterRecord {
            voter_id: i as i32 * 1000 + rng.below(1000) as i32,
            voter_directory_id: Uuid::from_parts(rng.next(), rng.next()),
            endpoints: (0..rng.below(3))
                .map(|e| VoterEndpoint {
                    name: format!("LISTENER{e}"),
                    host: format!("host-{}.example", rng.below(100)),
                    port: rng.below(65536) as u16,
                })
                .collect(),
            kraft_version_min: 0,
            kraft_version_max: rng.below(2) as i16,
        })
        .collect();
    VotersRecord { version: 0, voters }
}

/// A KRaftVersion + Voters control batch (or one of the two) as our leader writes it.
pub fn kraft_control_batch(rng: &mut Rng) -> Vec<u8> {
    let voters = voters_record(rng);
    let (kraft_version, voters) = match rng.below(3) {
        0 => (Some(1), None),
        1 => (None, Some(&voters)),
        _ => (Some(1), Some(&voters)),
    };
    build_kraft_control_batch(
        rng.below(1 << 30) as i64,
        1 + rng.below(1000) as i32,
        1_700_000_000_000 + rng.below(1 << 32) as i64,
        kraft_version,
        voters,
    )
}

/// A new leader's first batch at kraft.version 1 when its voter set came from the bootstrap
/// checkpoint (Kafka's `LeaderState.appendStartOfEpochControlRecords`): LeaderChange, then
/// KRaftVersion and Voters, in one control batch.
pub fn start_of_epoch_batch(rng: &mut Rng) -> Vec<u8> {
    let voters = voters_record(rng);
    let ids: Vec<i32> = voters.voters.iter().map(|v| v.voter_id).collect();
    let msg = LeaderChangeMessage {
        version: 0,
        leader_id: ids[0],
        voters: ids.clone(),
        granting_voters: ids[..1].to_vec(),
    };
    let mut value = Vec::new();
    msg.encode(&mut value);
    let mut buf = Vec::new();
    let mut builder = BatchBuilder::control(
        &mut buf,
        rng.below(1 << 30) as i64,
        1 + rng.below(1000) as i32,
        1_700_000_000_000 + rng.below(1 << 32) as i64,
    );
    builder.append_control(ControlRecordType::LeaderChange, &value);
    append_kraft_control_records(&mut builder, Some(1), Some(&voters));
    builder.finish();
    buf
}

/// Our batches for Kafka's reader: data batches, LeaderChange batches, KRaftVersion/Voters
/// batches, a leader's start-of-epoch batch, and a mix in one blob.
pub fn batch_cases(rng: &mut Rng, rounds: usize) -> Vec<Labeled> {
    let mut out = Vec::new();
    for i in 0..rounds {
        let data = data_batches(rng);
        let leader_change = leader_change_batch(rng);
        let kraft_control = kraft_control_batch(rng);
        let start_of_epoch = start_of_epoch_batch(rng);
        let mut both = leader_change.clone();
        both.extend_from_slice(&data_batches(rng));
        both.extend_from_slice(&kraft_control_batch(rng));
        for (what, bytes) in [
            ("data", data),
            ("leader change", leader_change),
            ("kraft control", kraft_control),
            ("start of epoch", start_of_epoch),
            ("mixed", both),
        ] {
            out.push(labeled(
                format!("{what} batches #{i}"),
                KIND_BATCHES,
                0,
                0,
                &bytes,
            ));
        }
    }
    out
}

fn hex(bytes: Option<&[u8]>) -> String {
    match bytes {
        None => "null".into(),
        Some(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
    }
}

/// Our reader's account of `bytes`, in the probe's format (see RecordsProbe.describe).
pub fn describe(bytes: &[u8]) -> Result<String, String> {
    let mut s = String::new();
    let mut consumed = 0;
    for batch in BatchIter::new(bytes) {
        let batch = batch.map_err(|e| format!("our reader rejects the batch: {e:?}"))?;
        let h = batch.header;
        consumed += batch.bytes.len();
        let control = h.attributes & ATTRIBUTE_CONTROL != 0;
        let _ = writeln!(
            s,
            "batch base={} last={} epoch={} magic={} control={} transactional={} producer={}/{}/{} max_timestamp={} records={}",
            h.base_offset, h.last_offset(), h.partition_leader_epoch, h.magic, control,
            h.attributes & 0x10 != 0, h.producer_id, h.producer_epoch, h.base_sequence,
            h.max_timestamp, h.records_count
        );
        for record in batch.records() {
            let r = record.map_err(|e| format!("our reader rejects a record: {e:?}"))?;
            let _ = writeln!(
                s,
                "record offset={} timestamp={} key={} value={} headers={}",
                h.base_offset + i64::from(r.offset_delta),
                h.base_timestamp + r.timestamp_delta,
                hex(r.key),
                hex(r.value),
                r.headers_count
            );
            if control {
                let parsed = parse_control_record(&r)
                    .map_err(|e| format!("our reader rejects a control record: {e:?}"))?;
                s.push_str(&describe_control(&parsed));
                s.push('\n');
            }
        }
    }
    if consumed != bytes.len() {
        return Err(format!(
            "our reader stopped at byte {consumed} of {}",
            bytes.len()
        ));
    }
    Ok(s)
}

fn describe_control(record: &ControlRecord) -> String {
    match record {
        ControlRecord::LeaderChange(m) => format!(
            "control leader_change version={} leader={} voters={:?} granting={:?}",
            m.version, m.leader_id, m.voters, m.granting_voters
        ),
        ControlRecord::SnapshotHeader { version, last_contained_log_timestamp } => format!(
            "control snapshot_header version={version} last_contained_log_timestamp={last_contained_log_timestamp}"
        ),
        ControlRecord::SnapshotFooter { version } => format!("control snapshot_footer version={version}"),
        ControlRecord::KRaftVersion { version, kraft_version } => {
            format!("control kraft_version version={version} kraft_version={kraft_version}")
        }
        ControlRecord::KRaftVoters(record) => describe_voters(record),
        ControlRecord::Other { control_type } => format!("control other type={control_type}"),
    }
}

/// `control voters version=V voters=[id/dirid/min-max/[name=host:port ...] ...]`, as the Java
/// probe prints Kafka's `VotersRecord`.
fn describe_voters(record: &VotersRecord) -> String {
    let voters: Vec<String> = record
        .voters
        .iter()
        .map(|v| {
            let endpoints: Vec<String> = v
                .endpoints
                .iter()
                .map(|e| format!("{}={}:{}", e.name, e.host, e.port))
                .collect();
            format!(
                "{}/{}/{}-{}/[{}]",
                v.voter_id,
                v.voter_directory_id,
                v.kraft_version_min,
                v.kraft_version_max,
                endpoints.join(" ")
            )
        })
        .collect();
    format!(
        "control voters version={} voters=[{}]",
        record.version,
        voters.join(" ")
    )
}

/// Rebuilds a batch Kafka wrote with our builder when it has a shape our node writes (an
/// uncompressed non-transactional batch of null-key, header-less records sharing one timestamp,
/// a single LeaderChange record, or a KRaftVersion and/or Voters record); `None` for other shapes.
pub fn rebuild_like_our_node(bytes: &[u8]) -> Option<Vec<u8>> {
    let batch = BatchIter::new(bytes).next()?.ok()?;
    let h = batch.header;
    if h.attributes & !ATTRIBUTE_CONTROL != 0
        || h.producer_id != -1
        || batch.bytes.len() != bytes.len()
    {
        return None;
    }
    let records: Vec<_> = batch.records().collect::<Result<_, _>>().ok()?;
    if records
        .iter()
        .any(|r| r.timestamp_delta != 0 || r.headers_count != 0)
    {
        return None;
    }
    let mut buf = Vec::new();
    if h.attributes & ATTRIBUTE_CONTROL != 0 {
        let parsed: Vec<ControlRecord> = records
            .iter()
            .map(parse_control_record)
            .collect::<Result<_, _>>()
            .ok()?;
        let bytes = match parsed.as_slice() {
            [ControlRecord::LeaderChange(msg)] => {
                build_leader_change_batch(
                    &mut buf,
                    h.base_offset,
                    h.partition_leader_epoch,
                    h.base_timestamp,
                    msg,
                );
                buf
            }
            _ => rebuild_kraft_control(h, &parsed)?,
        };
        return Some(bytes);
    }
    if records.iter().any(|r| r.key.is_some() || r.value.is_none()) {
        return None;
    }
    let mut builder = BatchBuilder::new(
        &mut buf,
        h.base_offset,
        h.partition_leader_epoch,
        h.base_timestamp,
    );
    for r in &records {
        builder.append_value(r.value.unwrap_or_default());
    }
    builder.finish();
    Some(buf)
}

/// Rebuilds a KRaftVersion and/or Voters control batch with `build_kraft_control_batch`.
fn rebuild_kraft_control(
    h: kraft_records::BatchHeader,
    parsed: &[ControlRecord],
) -> Option<Vec<u8>> {
    let (kraft_version, voters) = match parsed {
        [ControlRecord::KRaftVersion {
            version: 0,
            kraft_version,
        }] => (Some(*kraft_version), None),
        [ControlRecord::KRaftVoters(voters)] => (None, Some(voters)),
        [ControlRecord::KRaftVersion {
            version: 0,
            kraft_version,
        }, ControlRecord::KRaftVoters(voters)] => (Some(*kraft_version), Some(voters)),
        _ => return None,
    };
    Some(build_kraft_control_batch(
        h.base_offset,
        h.partition_leader_epoch,
        h.base_timestamp,
        kraft_version,
        voters,
    ))
}
