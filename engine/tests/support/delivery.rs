//! Delivery of queued messages and flush completions, FIFO or under seeded chaos, bounded so a
//! message storm fails the test instead of hanging it.

use kraft_engine::message::{ApiVersionsResponse, ErrorCode, Request, Response};
use kraft_engine::Input;

use super::{Cluster, Event};

impl Cluster {
    fn answer_api_versions(&mut self, request_id: u64) {
        let Some((requester, responder, correlation_id, as_id)) = self.pending.remove(&request_id)
        else {
            return;
        };
        if !self.peers.contains_key(&responder) {
            return;
        }
        let response = Response::ApiVersions(ApiVersionsResponse {
            error_code: ErrorCode::NONE,
            kraft_version: self.api_versions_kraft_range,
        });
        self.events.push_back(Event::Response {
            from: responder,
            to: requester,
            as_id,
            correlation_id,
            response,
        });
    }

    /// Delivers queued events until none are left (bounded).
    pub fn deliver_all(&mut self) {
        for _ in 0..100_000 {
            let event = match &mut self.chaos {
                Some(chaos) if !self.events.is_empty() => {
                    let window = chaos.reorder_window.clamp(1, self.events.len());
                    let i = chaos.below(window as u64) as usize;
                    let event = self.events.remove(i).expect("in range");
                    let is_message = !matches!(event, Event::Flushed { .. });
                    if is_message && chaos.below(1000) < chaos.drop_per_mille {
                        if let Event::Request { request_id, .. } = event {
                            self.pending.remove(&request_id);
                        }
                        continue;
                    }
                    // Responses are duplicated too, beyond the runtime contract (at most one
                    // response per request): the core must stay safe anyway.
                    if is_message && chaos.below(1000) < chaos.duplicate_per_mille {
                        self.events.push_back(event.clone());
                    }
                    event
                }
                _ => match self.events.pop_front() {
                    Some(event) => event,
                    None => return,
                },
            };
            match event {
                Event::Request {
                    from,
                    to,
                    request_id,
                    request,
                } => {
                    if !self.link_up(from, to) {
                        self.pending.remove(&request_id);
                        continue;
                    }
                    if std::env::var("CORE_TRACE_FETCH").is_ok() {
                        if let Request::Fetch(f) = &request {
                            eprintln!(
                                "t={} fetch {from}->{to} replica {} offset {} epoch {} last {}",
                                self.now,
                                f.replica_id,
                                f.fetch_offset,
                                f.current_leader_epoch,
                                f.last_fetched_epoch
                            );
                        }
                    }
                    if let Request::ApiVersions(_) = request {
                        // The network layer answers ApiVersions itself (kraft.version 0..1).
                        self.answer_api_versions(request_id);
                        continue;
                    }
                    if self.peers.contains_key(&to) {
                        self.step(
                            to,
                            Input::Request {
                                request_id,
                                request,
                            },
                        );
                    }
                }
                Event::Response {
                    from,
                    to,
                    as_id,
                    correlation_id,
                    response,
                } => {
                    if !self.link_up(from, to) {
                        continue;
                    }
                    if self.peers.contains_key(&to) {
                        self.step(
                            to,
                            Input::Response {
                                from: as_id,
                                correlation_id,
                                response,
                            },
                        );
                    }
                }
                Event::Flushed {
                    node,
                    offset,
                    generation,
                } => {
                    let Some(peer) = self.peers.get_mut(&node) else {
                        continue;
                    };
                    let end = peer.log_end_offset();
                    peer.flushed = peer.flushed.max(offset.min(end));
                    self.step(
                        node,
                        Input::LogFlushed {
                            flushed_end_offset: offset.min(end),
                            generation,
                        },
                    );
                }
            }
        }
        let sample: Vec<String> = self
            .events
            .iter()
            .take(6)
            .map(|e| match e {
                Event::Request {
                    from, to, request, ..
                } => format!("req {from}->{to} {request:?}"),
                Event::Response {
                    from, to, response, ..
                } => format!("resp {from}->{to} {response:?}"),
                Event::Flushed { node, offset, .. } => format!("flushed {node} {offset}"),
            })
            .collect();
        let statuses: Vec<_> = self.peers.values().map(|p| p.node.status()).collect();
        panic!(
            "message storm: events never settle at {}: {sample:#?} {statuses:#?}",
            self.now
        );
    }
}
