//! Applies one [`Shape`] to a sample message, touching only fields the version has.

use kafka_protocol::messages::TopicName;
use kraft_net::codec::{KafkaRequest, KafkaResponse};

use super::{resize, tags_map, text, Shape};

/// What a shape asks of one message: a string length, nulls, an array count, tags.
struct Plan {
    len: Option<usize>,
    null: bool,
    count: Option<usize>,
    tags: Option<std::collections::BTreeMap<i32, bytes::Bytes>>,
}

impl Plan {
    fn of(shape: &Shape) -> Plan {
        Plan {
            len: match shape {
                Shape::Len(n) => Some(*n),
                _ => None,
            },
            null: matches!(shape, Shape::Null),
            count: match shape {
                Shape::Count(n) => Some(*n),
                _ => None,
            },
            tags: match shape {
                Shape::Tags(t) => Some(tags_map(t)),
                _ => None,
            },
        }
    }
    fn string(&self, s: &mut kafka_protocol::protocol::StrBytes) {
        if let Some(n) = self.len {
            *s = text(n);
        }
    }
    fn topic(&self, s: &mut TopicName) {
        if let Some(n) = self.len {
            *s = TopicName(text(n));
        }
    }
    fn nullable(&self, s: &mut Option<kafka_protocol::protocol::StrBytes>) {
        if self.null {
            *s = None;
        } else if let Some(n) = self.len {
            *s = Some(text(n));
        }
    }
    fn array<T: Clone>(&self, v: &mut Vec<T>) {
        if let Some(n) = self.count {
            resize(v, n);
        }
    }
    fn tag(&self, m: &mut std::collections::BTreeMap<i32, bytes::Bytes>) {
        if let Some(t) = &self.tags {
            *m = t.clone();
        }
    }
}

/// Requests: strings (nullable and not), topic/partition/endpoint arrays, unknown tags.
pub fn apply_request(request: &mut KafkaRequest, v: i16, shape: &Shape) {
    let p = Plan::of(shape);
    match request {
        KafkaRequest::ApiVersions(m) => {
            if v >= 3 {
                p.string(&mut m.client_software_name);
                p.string(&mut m.client_software_version);
                p.tag(&mut m.unknown_tagged_fields);
            }
        }
        KafkaRequest::Vote(m) => {
            p.nullable(&mut m.cluster_id);
            p.tag(&mut m.unknown_tagged_fields);
            for t in &mut m.topics {
                p.topic(&mut t.topic_name);
                p.tag(&mut t.unknown_tagged_fields);
                t.partitions
                    .iter_mut()
                    .for_each(|x| p.tag(&mut x.unknown_tagged_fields));
                p.array(&mut t.partitions);
            }
            p.array(&mut m.topics);
        }
        KafkaRequest::BeginQuorumEpoch(m) => {
            p.nullable(&mut m.cluster_id);
            for t in &mut m.topics {
                p.topic(&mut t.topic_name);
                p.array(&mut t.partitions);
            }
            p.array(&mut m.topics);
            if v >= 1 {
                p.tag(&mut m.unknown_tagged_fields);
                for e in &mut m.leader_endpoints {
                    p.string(&mut e.name);
                    p.string(&mut e.host);
                    p.tag(&mut e.unknown_tagged_fields);
                }
                p.array(&mut m.leader_endpoints);
                for t in &mut m.topics {
                    p.tag(&mut t.unknown_tagged_fields);
                    t.partitions
                        .iter_mut()
                        .for_each(|x| p.tag(&mut x.unknown_tagged_fields));
                }
            }
        }
        KafkaRequest::EndQuorumEpoch(m) => {
            p.nullable(&mut m.cluster_id);
            for t in &mut m.topics {
                p.topic(&mut t.topic_name);
                for x in &mut t.partitions {
                    if v == 0 {
                        p.array(&mut x.preferred_successors);
                    } else {
                        p.array(&mut x.preferred_candidates);
                        p.tag(&mut x.unknown_tagged_fields);
                        for c in &mut x.preferred_candidates {
                            p.tag(&mut c.unknown_tagged_fields);
                        }
                    }
                }
                p.array(&mut t.partitions);
                if v >= 1 {
                    p.tag(&mut t.unknown_tagged_fields);
                }
            }
            p.array(&mut m.topics);
            if v >= 1 {
                p.tag(&mut m.unknown_tagged_fields);
                for e in &mut m.leader_endpoints {
                    p.string(&mut e.name);
                    p.string(&mut e.host);
                    p.tag(&mut e.unknown_tagged_fields);
                }
                p.array(&mut m.leader_endpoints);
            }
        }
        KafkaRequest::Fetch(m) => {
            p.nullable(&mut m.cluster_id);
            p.string(&mut m.rack_id);
            p.tag(&mut m.unknown_tagged_fields);
            if m.forgotten_topics_data.is_empty() && p.count.is_some() {
                m.forgotten_topics_data.push(Default::default());
            }
            for f in &mut m.forgotten_topics_data {
                f.topic_id = uuid::Uuid::from_bytes([7; 16]);
                f.partitions = vec![3];
                p.array(&mut f.partitions);
                p.tag(&mut f.unknown_tagged_fields);
            }
            p.array(&mut m.forgotten_topics_data);
            for t in &mut m.topics {
                p.tag(&mut t.unknown_tagged_fields);
                t.partitions
                    .iter_mut()
                    .for_each(|x| p.tag(&mut x.unknown_tagged_fields));
                p.array(&mut t.partitions);
            }
            p.array(&mut m.topics);
        }
        KafkaRequest::FetchSnapshot(m) => {
            p.nullable(&mut m.cluster_id);
            p.tag(&mut m.unknown_tagged_fields);
            for t in &mut m.topics {
                p.topic(&mut t.name);
                p.tag(&mut t.unknown_tagged_fields);
                for x in &mut t.partitions {
                    p.tag(&mut x.unknown_tagged_fields);
                    p.tag(&mut x.snapshot_id.unknown_tagged_fields);
                }
                p.array(&mut t.partitions);
            }
            p.array(&mut m.topics);
        }
        KafkaRequest::DescribeQuorum(m) => {
            p.tag(&mut m.unknown_tagged_fields);
            for t in &mut m.topics {
                p.topic(&mut t.topic_name);
                p.tag(&mut t.unknown_tagged_fields);
                t.partitions
                    .iter_mut()
                    .for_each(|x| p.tag(&mut x.unknown_tagged_fields));
                p.array(&mut t.partitions);
            }
            p.array(&mut m.topics);
        }
        KafkaRequest::DescribeCluster(m) => p.tag(&mut m.unknown_tagged_fields),
        KafkaRequest::AddRaftVoter(wire) => {
            let m = &mut wire.request;
            p.nullable(&mut m.cluster_id);
            p.tag(&mut m.unknown_tagged_fields);
            for l in &mut m.listeners {
                p.string(&mut l.name);
                p.string(&mut l.host);
                p.tag(&mut l.unknown_tagged_fields);
            }
            p.array(&mut m.listeners);
        }
        KafkaRequest::RemoveRaftVoter(m) => {
            p.nullable(&mut m.cluster_id);
            p.tag(&mut m.unknown_tagged_fields);
        }
        KafkaRequest::UpdateRaftVoter(m) => {
            p.nullable(&mut m.cluster_id);
            p.tag(&mut m.unknown_tagged_fields);
            p.tag(&mut m.k_raft_version_feature.unknown_tagged_fields);
            for l in &mut m.listeners {
                p.string(&mut l.name);
                p.string(&mut l.host);
                p.tag(&mut l.unknown_tagged_fields);
            }
            p.array(&mut m.listeners);
        }
    }
}

/// Responses our client reads: bytes (nullable and not), strings, arrays, unknown tags.
pub fn apply_response(response: &mut KafkaResponse, v: i16, shape: &Shape) {
    let p = Plan::of(shape);
    match response {
        KafkaResponse::Fetch(m) => {
            p.tag(&mut m.unknown_tagged_fields);
            for e in &mut m.node_endpoints {
                p.string(&mut e.host);
                p.nullable(&mut e.rack);
                p.tag(&mut e.unknown_tagged_fields);
            }
            p.array(&mut m.node_endpoints);
            for t in &mut m.responses {
                p.tag(&mut t.unknown_tagged_fields);
                for x in &mut t.partitions {
                    p.tag(&mut x.unknown_tagged_fields);
                    if p.null {
                        x.records = None;
                        x.aborted_transactions = None;
                    }
                    if let Some(n) = p.len {
                        x.records = Some(bytes::Bytes::from(vec![0x5a; n]));
                    }
                    if p.count.is_some() {
                        // Small records, so that many copies stay cheap.
                        x.records = Some(bytes::Bytes::from_static(b"abc"));
                    }
                }
                // Innermost arrays sized in one partition only, so counts do not multiply.
                if let (Some(n), Some(x)) = (p.count, t.partitions.first_mut()) {
                    x.aborted_transactions = Some(vec![Default::default(); n]);
                }
            }
            // Partitions multiplied in one topic only, after the topics, so counts do not
            // multiply.
            p.array(&mut m.responses);
            if let Some(t) = m.responses.first_mut() {
                p.array(&mut t.partitions);
            }
        }
        KafkaResponse::FetchSnapshot(m) => {
            p.tag(&mut m.unknown_tagged_fields);
            if v >= 1 {
                for e in &mut m.node_endpoints {
                    p.string(&mut e.host);
                    p.tag(&mut e.unknown_tagged_fields);
                }
                p.array(&mut m.node_endpoints);
            }
            for t in &mut m.topics {
                p.topic(&mut t.name);
                p.tag(&mut t.unknown_tagged_fields);
                for x in &mut t.partitions {
                    p.tag(&mut x.unknown_tagged_fields);
                    if let Some(n) = p.len {
                        x.unaligned_records = bytes::Bytes::from(vec![0x5a; n]);
                    }
                }
                p.array(&mut t.partitions);
            }
            p.array(&mut m.topics);
        }
        KafkaResponse::Vote(m) => {
            p.tag(&mut m.unknown_tagged_fields);
            if v >= 1 {
                m.node_endpoints
                    .iter_mut()
                    .for_each(|e| p.string(&mut e.host));
                p.array(&mut m.node_endpoints);
            }
            for t in &mut m.topics {
                p.topic(&mut t.topic_name);
                p.tag(&mut t.unknown_tagged_fields);
                t.partitions
                    .iter_mut()
                    .for_each(|x| p.tag(&mut x.unknown_tagged_fields));
                p.array(&mut t.partitions);
            }
            p.array(&mut m.topics);
        }
        KafkaResponse::DescribeQuorum(m) => {
            p.tag(&mut m.unknown_tagged_fields);
            if v >= 2 {
                p.nullable(&mut m.error_message);
                for n in &mut m.nodes {
                    n.listeners.iter_mut().for_each(|l| p.string(&mut l.host));
                }
                if let Some(n) = m.nodes.first_mut() {
                    p.array(&mut n.listeners);
                }
                p.array(&mut m.nodes);
            }
            for t in &mut m.topics {
                p.topic(&mut t.topic_name);
                for x in &mut t.partitions {
                    if v >= 2 {
                        p.nullable(&mut x.error_message);
                    }
                    p.tag(&mut x.unknown_tagged_fields);
                }
                // Innermost arrays sized in one partition only, so counts do not multiply.
                if let Some(x) = t.partitions.first_mut() {
                    p.array(&mut x.current_voters);
                    p.array(&mut x.observers);
                }
            }
            // Nested arrays multiplied under the first element only, after the outer ones, so
            // counts do not multiply.
            p.array(&mut m.topics);
            if let Some(t) = m.topics.first_mut() {
                p.array(&mut t.partitions);
            }
        }
        KafkaResponse::BeginQuorumEpoch(m) if v >= 1 => p.tag(&mut m.unknown_tagged_fields),
        KafkaResponse::EndQuorumEpoch(m) if v >= 1 => p.tag(&mut m.unknown_tagged_fields),
        KafkaResponse::DescribeCluster(m) => p.tag(&mut m.unknown_tagged_fields),
        _ => {}
    }
}
