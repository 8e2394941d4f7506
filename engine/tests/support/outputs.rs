//! Execution of a node's outputs in order: log appends, flushes, truncations, sends and
//! responses (fetch responses read from the leader's log, as a runtime would).

use kraft_engine::message::{Records, Response};
use kraft_engine::Output;

use super::{Cluster, Event, LogBatch};

impl Cluster {
    /// Executes `id`'s outputs in order.
    pub fn drain(&mut self, id: i32) {
        loop {
            let peer = self.peers.get_mut(&id).unwrap();
            let Some(output) = peer.node.poll_output() else {
                break;
            };
            if self.record_trace {
                peer.trace.push(output.clone());
            }
            if std::env::var("CORE_TRACE_NODE")
                .ok()
                .and_then(|v| v.parse::<i32>().ok())
                == Some(id)
            {
                let text = format!("{output:?}");
                eprintln!(
                    "t={} node {id} -> {}",
                    self.now,
                    &text[..text.len().min(200)]
                );
            }
            match output {
                Output::PersistElectionState(e) => peer.persisted.push(e),
                Output::Send {
                    to,
                    correlation_id,
                    request,
                } => {
                    // The address book maps the id to a node (test ports are 9000 + node id).
                    let as_id = to;
                    let Some(address) = peer.address_book.iter().find(|p| p.id == to) else {
                        panic!(
                            "node {id} sends to {to}, not in its address book {:?}",
                            peer.address_book
                        );
                    };
                    let to = i32::from(address.port) - 9000;
                    let request_id = self.next_request_id;
                    self.next_request_id += 1;
                    if self.link_up(id, to) {
                        self.pending
                            .insert(request_id, (id, to, correlation_id, as_id));
                        self.events.push_back(Event::Request {
                            from: id,
                            to,
                            request_id,
                            request,
                        });
                    }
                }
                Output::Respond {
                    request_id,
                    mut response,
                } => {
                    if let Response::Fetch(f) = &mut response {
                        if let Records::LogRange {
                            from_offset,
                            max_bytes,
                            generation,
                        } = f.records
                        {
                            // Outputs run in order here, so the log is at the core's generation.
                            assert_eq!(generation, peer.node.status().log_generation);
                            f.records = Records::Bytes(peer.read(from_offset, max_bytes));
                        }
                    }
                    if let Some((requester, responder, correlation_id, as_id)) =
                        self.pending.remove(&request_id)
                    {
                        assert_eq!(responder, id);
                        if self.link_up(id, requester) {
                            self.events.push_back(Event::Response {
                                from: id,
                                to: requester,
                                as_id,
                                correlation_id,
                                response,
                            });
                        }
                    }
                }
                Output::AppendBatch {
                    base_offset,
                    last_offset,
                    epoch,
                    bytes,
                } => {
                    assert_eq!(base_offset, peer.log_end_offset(), "appends are contiguous");
                    peer.log.push(LogBatch {
                        base_offset,
                        last_offset,
                        epoch,
                        bytes,
                    });
                }
                Output::Flush {
                    up_to_offset,
                    generation,
                } => {
                    if self.auto_flush {
                        let offset = up_to_offset.min(peer.log_end_offset());
                        self.events.push_back(Event::Flushed {
                            node: id,
                            offset,
                            generation,
                        });
                    }
                }
                Output::Truncate { to_offset, .. } => {
                    // An fsync in progress covers only what was written before the cut (the
                    // durable end modelled here); its report keeps the old generation, which
                    // the core refuses.
                    peer.flushed = peer.flushed.min(to_offset);
                    for e in self.events.iter_mut() {
                        if let Event::Flushed { node, offset, .. } = e {
                            if *node == id {
                                *offset = (*offset).min(to_offset);
                            }
                        }
                    }
                    peer.log.retain(|b| b.base_offset < to_offset);
                    assert_eq!(
                        peer.log_end_offset(),
                        to_offset,
                        "truncation at a batch boundary"
                    );
                }
                Output::Listener { id: lid, event } => peer.events.push((lid, event)),
                Output::UpdatePeers { peers } => {
                    peer.address_book = peers;
                }
                Output::ShutdownComplete => {}
                Output::WriteSnapshotChunk { .. } | Output::LoadSnapshot { .. } => {
                    panic!("node {id} downloads a snapshot, but this cluster freezes none")
                }
            }
        }
    }
}
