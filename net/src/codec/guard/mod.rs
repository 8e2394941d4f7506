//! Structural pre-check of message bodies before `kafka-protocol` decodes them.
//!
//! Why: kafka-protocol 0.18 sizes a `Vec` from the wire before reading any element
//! (`Vec::with_capacity(n)` with `n` up to 2^32), so a four-byte length field can make it request
//! hundreds of GB and abort the process. This walker follows exactly the field sequence
//! kafka-protocol reads (same versions, same known tags, tags decoded structurally and unknown tags
//! skipped by size) and rejects any array whose count exceeds the bytes left, so by the time
//! kafka-protocol runs, every count it sees is bounded by the frame size. It builds nothing and
//! allocates nothing.

mod describe_cluster;

use super::header::skip_tagged_fields;
use super::reader::Reader;
use super::versions::*;
use crate::error::DecodeError;

/// One walk over a body at one version.
struct Walker<'a> {
    r: Reader<'a>,
}

fn invalid(field: &'static str, reason: String) -> DecodeError {
    DecodeError::Invalid { field, reason }
}

impl<'a> Walker<'a> {
    fn i8(&mut self, f: &'static str) -> Result<(), DecodeError> {
        self.r.skip(1, f)
    }
    fn i16(&mut self, f: &'static str) -> Result<(), DecodeError> {
        self.r.skip(2, f)
    }
    fn i32(&mut self, f: &'static str) -> Result<(), DecodeError> {
        self.r.skip(4, f)
    }
    fn i64(&mut self, f: &'static str) -> Result<(), DecodeError> {
        self.r.skip(8, f)
    }
    fn uuid(&mut self, f: &'static str) -> Result<(), DecodeError> {
        self.r.skip(16, f)
    }

    /// String (int16 length, -1 null) or compact string (uvarint length+1, 0 null).
    fn string(&mut self, flexible: bool, f: &'static str) -> Result<(), DecodeError> {
        self.length_prefixed(flexible, false, "string", f)
    }

    /// Bytes / records (int32 length, -1 null) or compact bytes (uvarint length+1, 0 null).
    fn bytes(&mut self, flexible: bool, f: &'static str) -> Result<(), DecodeError> {
        self.length_prefixed(flexible, true, "bytes", f)
    }

    /// Skips a length-prefixed field: compact (uvarint length+1, 0 null) in flexible versions,
    /// else an int16 (strings) or int32 (bytes) length with -1 for null.
    fn length_prefixed(
        &mut self,
        flexible: bool,
        int32_length: bool,
        what: &str,
        f: &'static str,
    ) -> Result<(), DecodeError> {
        if flexible {
            let n = self.r.uvarint(f)?;
            if n > 0 {
                self.r.skip((n - 1) as usize, f)?;
            }
            return Ok(());
        }
        let n = if int32_length {
            i64::from(self.r.i32(f)?)
        } else {
            i64::from(self.r.i16(f)?)
        };
        match n {
            -1 => {}
            n if n >= 0 => self.r.skip(n as usize, f)?,
            n => return Err(invalid(f, format!("negative {what} length {n}"))),
        }
        Ok(())
    }

    /// An array of elements each walked by `element`; the count must fit in the remaining bytes
    /// (every element of every array we accept is at least one byte long).
    fn array(
        &mut self,
        flexible: bool,
        f: &'static str,
        mut element: impl FnMut(&mut Self) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        let count: usize = if flexible {
            match self.r.uvarint(f)? {
                0 => return Ok(()),
                n => (n - 1) as usize,
            }
        } else {
            match self.r.i32(f)? {
                -1 => return Ok(()),
                n if n >= 0 => n as usize,
                n => return Err(invalid(f, format!("negative array length {n}"))),
            }
        };
        if count > self.r.remaining() {
            return Err(invalid(
                f,
                format!("{count} elements in {} bytes", self.r.remaining()),
            ));
        }
        for _ in 0..count {
            element(self)?;
        }
        Ok(())
    }

    /// Tagged fields; `known(walker, tag)` walks a known tag's value and returns true, or returns
    /// false to have it skipped by size (unknown tags).
    fn tags(
        &mut self,
        f: &'static str,
        mut known: impl FnMut(&mut Self, u32) -> Result<bool, DecodeError>,
    ) -> Result<(), DecodeError> {
        let count = self.r.uvarint(f)? as usize;
        if count > self.r.remaining() {
            return Err(invalid(
                f,
                format!("{count} tagged fields in {} bytes", self.r.remaining()),
            ));
        }
        for _ in 0..count {
            let tag = self.r.uvarint(f)?;
            let size = self.r.uvarint(f)? as usize;
            if !known(self, tag)? {
                self.r.skip(size, f)?;
            }
        }
        Ok(())
    }

    fn no_known_tags(&mut self, f: &'static str) -> Result<(), DecodeError> {
        skip_tagged_fields(&mut self.r, f)
    }

    fn tags_if(&mut self, flexible: bool, f: &'static str) -> Result<(), DecodeError> {
        if flexible {
            self.no_known_tags(f)
        } else {
            Ok(())
        }
    }
}

fn tag_not_valid(tag: u32, version: i16) -> DecodeError {
    invalid(
        "tagged_fields",
        format!("tag {tag} is not valid for version {version}"),
    )
}

/// Checks a request body of `api_key` at `api_version` (one we serve).
pub fn check_request(api_key: i16, v: i16, body: &[u8]) -> Result<(), DecodeError> {
    let mut w = Walker {
        r: Reader::new(body),
    };
    match api_key {
        API_KEY_API_VERSIONS => {
            if v >= 3 {
                w.string(true, "client_software_name")?;
                w.string(true, "client_software_version")?;
                w.no_known_tags("tagged_fields")?;
            }
        }
        API_KEY_VOTE => {
            w.string(true, "cluster_id")?;
            if v >= 1 {
                w.i32("voter_id")?;
            }
            w.array(true, "topics", |w| {
                w.string(true, "topic_name")?;
                w.array(true, "partitions", |w| {
                    w.i32("partition_index")?;
                    w.i32("candidate_epoch")?;
                    w.i32("candidate_id")?;
                    if v >= 1 {
                        w.uuid("candidate_directory_id")?;
                        w.uuid("voter_directory_id")?;
                    }
                    w.i32("last_offset_epoch")?;
                    w.i64("last_offset")?;
                    if v >= 2 {
                        w.i8("pre_vote")?;
                    }
                    w.no_known_tags("tagged_fields")
                })?;
                w.no_known_tags("tagged_fields")
            })?;
            w.no_known_tags("tagged_fields")?;
        }
        API_KEY_BEGIN_QUORUM_EPOCH => {
            let flex = v >= 1;
            w.string(flex, "cluster_id")?;
            if v >= 1 {
                w.i32("voter_id")?;
            }
            w.array(flex, "topics", |w| {
                w.string(flex, "topic_name")?;
                w.array(flex, "partitions", |w| {
                    w.i32("partition_index")?;
                    if v >= 1 {
                        w.uuid("voter_directory_id")?;
                    }
                    w.i32("leader_id")?;
                    w.i32("leader_epoch")?;
                    w.tags_if(flex, "tagged_fields")
                })?;
                w.tags_if(flex, "tagged_fields")
            })?;
            if v >= 1 {
                w.array(true, "leader_endpoints", walk_listener)?;
            }
            w.tags_if(flex, "tagged_fields")?;
        }
        API_KEY_END_QUORUM_EPOCH => {
            let flex = v >= 1;
            w.string(flex, "cluster_id")?;
            w.array(flex, "topics", |w| {
                w.string(flex, "topic_name")?;
                w.array(flex, "partitions", |w| {
                    w.i32("partition_index")?;
                    w.i32("leader_id")?;
                    w.i32("leader_epoch")?;
                    if v == 0 {
                        w.array(false, "preferred_successors", |w| {
                            w.i32("preferred_successor")
                        })?;
                    }
                    if v >= 1 {
                        w.array(true, "preferred_candidates", |w| {
                            w.i32("candidate_id")?;
                            w.uuid("candidate_directory_id")?;
                            w.no_known_tags("tagged_fields")
                        })?;
                    }
                    w.tags_if(flex, "tagged_fields")
                })?;
                w.tags_if(flex, "tagged_fields")
            })?;
            if v >= 1 {
                w.array(true, "leader_endpoints", walk_listener)?;
            }
            w.tags_if(flex, "tagged_fields")?;
        }
        API_KEY_FETCH => walk_fetch_request(&mut w, v)?,
        API_KEY_FETCH_SNAPSHOT => {
            w.i32("replica_id")?;
            w.i32("max_bytes")?;
            w.array(true, "topics", |w| {
                w.string(true, "name")?;
                w.array(true, "partitions", |w| {
                    w.i32("partition")?;
                    w.i32("current_leader_epoch")?;
                    walk_snapshot_id(w)?;
                    w.i64("position")?;
                    w.tags("tagged_fields", |w, tag| match tag {
                        0 if v >= 1 => w.uuid("replica_directory_id").map(|_| true),
                        0 => Err(tag_not_valid(tag, v)),
                        _ => Ok(false),
                    })
                })?;
                w.no_known_tags("tagged_fields")
            })?;
            w.tags("tagged_fields", |w, tag| match tag {
                0 => w.string(true, "cluster_id").map(|_| true),
                _ => Ok(false),
            })?;
        }
        API_KEY_DESCRIBE_QUORUM => {
            w.array(true, "topics", |w| {
                w.string(true, "topic_name")?;
                w.array(true, "partitions", |w| {
                    w.i32("partition_index")?;
                    w.no_known_tags("tagged_fields")
                })?;
                w.no_known_tags("tagged_fields")
            })?;
            w.no_known_tags("tagged_fields")?;
        }
        API_KEY_DESCRIBE_CLUSTER => describe_cluster::walk_request(&mut w, v)?,
        API_KEY_ADD_RAFT_VOTER => {
            walk_add_raft_voter_to_listeners_end(&mut w)?;
            if v >= 1 {
                w.i8("ack_when_committed")?;
            }
            w.no_known_tags("tagged_fields")?;
        }
        API_KEY_REMOVE_RAFT_VOTER => {
            w.string(true, "cluster_id")?;
            w.i32("voter_id")?;
            w.uuid("voter_directory_id")?;
            w.no_known_tags("tagged_fields")?;
        }
        API_KEY_UPDATE_RAFT_VOTER => {
            w.string(true, "cluster_id")?;
            w.i32("current_leader_epoch")?;
            w.i32("voter_id")?;
            w.uuid("voter_directory_id")?;
            w.array(true, "listeners", walk_listener)?;
            w.i16("kraft_version_min")?;
            w.i16("kraft_version_max")?;
            w.no_known_tags("tagged_fields")?;
            w.no_known_tags("tagged_fields")?;
        }
        _ => return Err(DecodeError::UnknownApiKey { api_key }),
    }
    Ok(())
}

/// AddRaftVoterRequest's fields up to the end of `Listeners` (the same in every version).
fn walk_add_raft_voter_to_listeners_end(w: &mut Walker<'_>) -> Result<(), DecodeError> {
    w.string(true, "cluster_id")?;
    w.i32("timeout_ms")?;
    w.i32("voter_id")?;
    w.uuid("voter_directory_id")?;
    w.array(true, "listeners", walk_listener)
}

/// Where an AddRaftVoterRequest body's `Listeners` end: where v1 puts `AckWhenCommitted`.
pub(crate) fn add_raft_voter_listeners_end(body: &[u8]) -> Result<usize, DecodeError> {
    let mut w = Walker {
        r: Reader::new(body),
    };
    walk_add_raft_voter_to_listeners_end(&mut w)?;
    Ok(w.r.position())
}

/// `{Name, Host, Port uint16}` (flexible): LeaderEndpoint / Listener.
fn walk_listener(w: &mut Walker<'_>) -> Result<(), DecodeError> {
    w.string(true, "name")?;
    w.string(true, "host")?;
    w.i16("port")?;
    w.no_known_tags("tagged_fields")
}

/// `{NodeId, Host, Port uint16}` (flexible): NodeEndpoint of Vote/Begin/End/FetchSnapshot.
fn walk_node_endpoint(w: &mut Walker<'_>) -> Result<(), DecodeError> {
    w.i32("node_id")?;
    w.string(true, "host")?;
    w.i16("port")?;
    w.no_known_tags("tagged_fields")
}

/// `{EndOffset int64, Epoch int32}` (flexible).
fn walk_snapshot_id(w: &mut Walker<'_>) -> Result<(), DecodeError> {
    w.i64("end_offset")?;
    w.i32("epoch")?;
    w.no_known_tags("tagged_fields")
}

fn walk_fetch_request(w: &mut Walker<'_>, v: i16) -> Result<(), DecodeError> {
    let flex = v >= 12;
    if v <= 14 {
        w.i32("replica_id")?;
    }
    w.i32("max_wait_ms")?;
    w.i32("min_bytes")?;
    w.i32("max_bytes")?;
    w.i8("isolation_level")?;
    if v >= 7 {
        w.i32("session_id")?;
        w.i32("session_epoch")?;
    }
    w.array(flex, "topics", |w| {
        if v <= 12 {
            w.string(flex, "topic")?;
        }
        if v >= 13 {
            w.uuid("topic_id")?;
        }
        w.array(flex, "partitions", |w| {
            w.i32("partition")?;
            if v >= 9 {
                w.i32("current_leader_epoch")?;
            }
            w.i64("fetch_offset")?;
            if v >= 12 {
                w.i32("last_fetched_epoch")?;
            }
            if v >= 5 {
                w.i64("log_start_offset")?;
            }
            w.i32("partition_max_bytes")?;
            if flex {
                w.tags("tagged_fields", |w, tag| match tag {
                    0 if v >= 17 => w.uuid("replica_directory_id").map(|_| true),
                    1 if v >= 18 => w.i64("high_watermark").map(|_| true),
                    0 | 1 => Err(tag_not_valid(tag, v)),
                    _ => Ok(false),
                })?;
            }
            Ok(())
        })?;
        w.tags_if(flex, "tagged_fields")
    })?;
    if v >= 7 {
        w.array(flex, "forgotten_topics_data", |w| {
            if v <= 12 {
                w.string(flex, "topic")?;
            }
            if v >= 13 {
                w.uuid("topic_id")?;
            }
            w.array(flex, "partitions", |w| w.i32("partition"))?;
            w.tags_if(flex, "tagged_fields")
        })?;
    }
    if v >= 11 {
        w.string(flex, "rack_id")?;
    }
    if flex {
        w.tags("tagged_fields", |w, tag| match tag {
            0 => w.string(true, "cluster_id").map(|_| true),
            1 if v >= 15 => {
                w.i32("replica_id")?;
                w.i64("replica_epoch")?;
                w.no_known_tags("tagged_fields")?;
                Ok(true)
            }
            1 => Err(tag_not_valid(tag, v)),
            _ => Ok(false),
        })?;
    }
    Ok(())
}

/// Checks a response body of `api_key` at `api_version` (responses this node's client reads).
pub fn check_response(api_key: i16, v: i16, body: &[u8]) -> Result<(), DecodeError> {
    let mut w = Walker {
        r: Reader::new(body),
    };
    match api_key {
        API_KEY_API_VERSIONS => {
            let flex = v >= 3;
            w.i16("error_code")?;
            w.array(flex, "api_keys", |w| {
                w.i16("api_key")?;
                w.i16("min_version")?;
                w.i16("max_version")?;
                w.tags_if(flex, "tagged_fields")
            })?;
            if v >= 1 {
                w.i32("throttle_time_ms")?;
            }
            if flex {
                w.tags("tagged_fields", |w, tag| match tag {
                    0 | 2 => {
                        w.array(true, "features", |w| {
                            w.string(true, "name")?;
                            w.i16("min_version")?;
                            w.i16("max_version")?;
                            w.no_known_tags("tagged_fields")
                        })?;
                        Ok(true)
                    }
                    1 => w.i64("finalized_features_epoch").map(|_| true),
                    3 => w.i8("zk_migration_ready").map(|_| true),
                    _ => Ok(false),
                })?;
            }
        }
        API_KEY_VOTE => {
            w.i16("error_code")?;
            w.array(true, "topics", |w| {
                w.string(true, "topic_name")?;
                w.array(true, "partitions", |w| {
                    w.i32("partition_index")?;
                    w.i16("error_code")?;
                    w.i32("leader_id")?;
                    w.i32("leader_epoch")?;
                    w.i8("vote_granted")?;
                    w.no_known_tags("tagged_fields")
                })?;
                w.no_known_tags("tagged_fields")
            })?;
            w.tags("tagged_fields", |w, tag| match tag {
                0 if v >= 1 => w
                    .array(true, "node_endpoints", walk_node_endpoint)
                    .map(|_| true),
                0 => Err(tag_not_valid(tag, v)),
                _ => Ok(false),
            })?;
        }
        API_KEY_BEGIN_QUORUM_EPOCH | API_KEY_END_QUORUM_EPOCH => {
            let flex = v >= 1;
            w.i16("error_code")?;
            w.array(flex, "topics", |w| {
                w.string(flex, "topic_name")?;
                w.array(flex, "partitions", |w| {
                    w.i32("partition_index")?;
                    w.i16("error_code")?;
                    w.i32("leader_id")?;
                    w.i32("leader_epoch")?;
                    w.tags_if(flex, "tagged_fields")
                })?;
                w.tags_if(flex, "tagged_fields")
            })?;
            if flex {
                w.tags("tagged_fields", |w, tag| match tag {
                    0 => w
                        .array(true, "node_endpoints", walk_node_endpoint)
                        .map(|_| true),
                    _ => Ok(false),
                })?;
            }
        }
        API_KEY_FETCH => walk_fetch_response(&mut w, v)?,
        API_KEY_DESCRIBE_CLUSTER => describe_cluster::walk_response(&mut w, v)?,
        API_KEY_DESCRIBE_QUORUM => {
            w.i16("error_code")?;
            if v >= 2 {
                w.string(true, "error_message")?;
            }
            w.array(true, "topics", |w| {
                w.string(true, "topic_name")?;
                w.array(true, "partitions", |w| {
                    w.i32("partition_index")?;
                    w.i16("error_code")?;
                    if v >= 2 {
                        w.string(true, "error_message")?;
                    }
                    w.i32("leader_id")?;
                    w.i32("leader_epoch")?;
                    w.i64("high_watermark")?;
                    let replica = |w: &mut Walker<'_>| {
                        w.i32("replica_id")?;
                        if v >= 2 {
                            w.uuid("replica_directory_id")?;
                        }
                        w.i64("log_end_offset")?;
                        if v >= 1 {
                            w.i64("last_fetch_timestamp")?;
                            w.i64("last_caught_up_timestamp")?;
                        }
                        w.no_known_tags("tagged_fields")
                    };
                    w.array(true, "current_voters", replica)?;
                    w.array(true, "observers", replica)?;
                    w.no_known_tags("tagged_fields")
                })?;
                w.no_known_tags("tagged_fields")
            })?;
            if v >= 2 {
                w.array(true, "nodes", |w| {
                    w.i32("node_id")?;
                    w.array(true, "listeners", walk_listener)?;
                    w.no_known_tags("tagged_fields")
                })?;
            }
            w.no_known_tags("tagged_fields")?;
        }
        API_KEY_FETCH_SNAPSHOT => {
            w.i32("throttle_time_ms")?;
            w.i16("error_code")?;
            w.array(true, "topics", |w| {
                w.string(true, "name")?;
                w.array(true, "partitions", |w| {
                    w.i32("index")?;
                    w.i16("error_code")?;
                    walk_snapshot_id(w)?;
                    w.i64("size")?;
                    w.i64("position")?;
                    w.bytes(true, "unaligned_records")?;
                    w.tags("tagged_fields", |w, tag| match tag {
                        0 => {
                            w.i32("leader_id")?;
                            w.i32("leader_epoch")?;
                            w.no_known_tags("tagged_fields")?;
                            Ok(true)
                        }
                        _ => Ok(false),
                    })
                })?;
                w.no_known_tags("tagged_fields")
            })?;
            w.tags("tagged_fields", |w, tag| match tag {
                0 if v >= 1 => w
                    .array(true, "node_endpoints", walk_node_endpoint)
                    .map(|_| true),
                0 => Err(tag_not_valid(tag, v)),
                _ => Ok(false),
            })?;
        }
        API_KEY_ADD_RAFT_VOTER | API_KEY_REMOVE_RAFT_VOTER => {
            w.i32("throttle_time_ms")?;
            w.i16("error_code")?;
            w.string(true, "error_message")?;
            w.no_known_tags("tagged_fields")?;
        }
        API_KEY_UPDATE_RAFT_VOTER => {
            w.i32("throttle_time_ms")?;
            w.i16("error_code")?;
            w.tags("tagged_fields", |w, tag| match tag {
                0 => {
                    w.i32("leader_id")?;
                    w.i32("leader_epoch")?;
                    w.string(true, "host")?;
                    w.i32("port")?;
                    w.no_known_tags("tagged_fields")?;
                    Ok(true)
                }
                _ => Ok(false),
            })?;
        }
        _ => return Err(DecodeError::UnknownApiKey { api_key }),
    }
    Ok(())
}

fn walk_fetch_response(w: &mut Walker<'_>, v: i16) -> Result<(), DecodeError> {
    let flex = v >= 12;
    w.i32("throttle_time_ms")?;
    if v >= 7 {
        w.i16("error_code")?;
        w.i32("session_id")?;
    }
    w.array(flex, "responses", |w| {
        if v <= 12 {
            w.string(flex, "topic")?;
        }
        if v >= 13 {
            w.uuid("topic_id")?;
        }
        w.array(flex, "partitions", |w| {
            w.i32("partition_index")?;
            w.i16("error_code")?;
            w.i64("high_watermark")?;
            w.i64("last_stable_offset")?;
            if v >= 5 {
                w.i64("log_start_offset")?;
            }
            w.array(flex, "aborted_transactions", |w| {
                w.i64("producer_id")?;
                w.i64("first_offset")?;
                w.tags_if(flex, "tagged_fields")
            })?;
            if v >= 11 {
                w.i32("preferred_read_replica")?;
            }
            w.bytes(flex, "records")?;
            if flex {
                w.tags("tagged_fields", |w, tag| match tag {
                    0 => {
                        w.i32("epoch")?;
                        w.i64("end_offset")?;
                        w.no_known_tags("tagged_fields")?;
                        Ok(true)
                    }
                    1 => {
                        w.i32("leader_id")?;
                        w.i32("leader_epoch")?;
                        w.no_known_tags("tagged_fields")?;
                        Ok(true)
                    }
                    2 => walk_snapshot_id(w).map(|_| true),
                    _ => Ok(false),
                })?;
            }
            Ok(())
        })?;
        w.tags_if(flex, "tagged_fields")
    })?;
    if flex {
        w.tags("tagged_fields", |w, tag| match tag {
            0 if v >= 16 => {
                w.array(true, "node_endpoints", |w| {
                    w.i32("node_id")?;
                    w.string(true, "host")?;
                    w.i32("port")?;
                    w.string(true, "rack")?;
                    w.no_known_tags("tagged_fields")
                })?;
                Ok(true)
            }
            0 => Err(tag_not_valid(tag, v)),
            _ => Ok(false),
        })?;
    }
    Ok(())
}
