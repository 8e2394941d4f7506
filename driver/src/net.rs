//! The network side: what the network role decides between the Raft loop's `Send`/`Respond`
//! outputs, the peers' answers and the log. The rules live here once, for the real runtime
//! (kraft-server's net role: one kraft-net client per peer, the server writing Fetch responses
//! from the mmap) and the simulator (its seeded wire).
//!
//! - [`PeerQueue`]: per peer, the core's requests wait in a bounded FIFO and go out one at a time;
//!   an answer or a failure is handed to the core only for the request in flight, under the
//!   core's correlation id (a late answer to a request given up on is dropped, never taken as the
//!   answer to the next one); a request not answered within the request timeout fails with
//!   `RequestError::Timeout`.
//! - [`FailureQueue`]: failures found while taking commands (a full peer queue, an unknown node)
//!   wait here for the Raft loop, bounded: the command loop never waits on the Raft loop (it
//!   waits on its sends to this loop; two bounded links waiting on each other would deadlock).
//! - [`log_range_readable`]: a Fetch response's `Records::LogRange` is read only while the log is
//!   in the range's generation; otherwise the response goes without records.

use std::collections::VecDeque;

use kraft_engine::io::{Input, RequestError};
use kraft_engine::message::Response;

/// Requests queued for one peer at most (the core keeps one in flight per peer; this absorbs a
/// burst of retries while the previous request still waits for its timeout).
pub const PEER_QUEUE_CAPACITY: usize = 64;
/// Request failures waiting for the Raft loop at most. Beyond this a failure is dropped: the core
/// times out every request it sent on its own (`request_timeout_ms`), so a lost report delays,
/// never stalls it.
pub const FAILURE_QUEUE_CAPACITY: usize = 256;

/// Whether a `Records::LogRange` of `range_generation` may be read from a log now in
/// `log_generation`. A log behind the range (the log side has not applied the core's truncation
/// yet) still holds the bytes the core cut; a log ahead of it was truncated since. Either way the
/// offsets hold other bytes than the core meant, and the response goes without records (the
/// follower fetches again).
pub fn log_range_readable(range_generation: u64, log_generation: u64) -> bool {
    // Planted: the range is read in whatever generation the log is in now.
    range_generation == log_generation || planted_bug!(LogRangeInCurrentGeneration)
}

/// A request the queue holds: the core's correlation id and the request.
#[derive(Debug)]
struct Queued<R> {
    correlation_id: u64,
    request: R,
}

/// The request on the wire to the peer, and when it times out (the runtime's clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InFlight {
    pub correlation_id: u64,
    pub deadline_ms: u64,
}

/// One peer's outbound requests: a bounded FIFO and at most one request in flight.
#[derive(Debug)]
pub struct PeerQueue<R> {
    queue: VecDeque<Queued<R>>,
    in_flight: Option<InFlight>,
    request_timeout_ms: u64,
}

impl<R> PeerQueue<R> {
    pub fn new(request_timeout_ms: u64) -> PeerQueue<R> {
        assert!(request_timeout_ms > 0, "requests time out");
        PeerQueue {
            queue: VecDeque::with_capacity(PEER_QUEUE_CAPACITY),
            in_flight: None,
            request_timeout_ms,
        }
    }

    /// Queues the core's request `correlation_id`; a full queue hands it back (the driver reports
    /// it failed).
    pub fn push(&mut self, correlation_id: u64, request: R) -> Result<(), R> {
        if self.queue.len() >= PEER_QUEUE_CAPACITY {
            return Err(request);
        }
        self.queue.push_back(Queued {
            correlation_id,
            request,
        });
        Ok(())
    }

    /// The request to put on the wire now, if none is in flight: it is in flight from `now_ms`
    /// until answered, failed or timed out.
    pub fn start_next(&mut self, now_ms: u64) -> Option<(u64, R)> {
        if self.in_flight.is_some() {
            return None;
        }
        let next = self.queue.pop_front()?;
        self.in_flight = Some(InFlight {
            correlation_id: next.correlation_id,
            deadline_ms: now_ms.saturating_add(self.request_timeout_ms),
        });
        Some((next.correlation_id, next.request))
    }

    pub fn in_flight(&self) -> Option<InFlight> {
        self.in_flight
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// The peer `from` answered request `correlation_id`: the core's input if that is the request
    /// in flight (it is no longer), `None` for any other (late, duplicated: dropped).
    pub fn on_response(
        &mut self,
        from: i32,
        correlation_id: u64,
        response: Response,
    ) -> Option<Input> {
        self.take_in_flight(correlation_id)?;
        Some(Input::Response {
            from,
            correlation_id,
            response,
        })
    }

    /// Request `correlation_id` to `to` failed (connection refused or reset, a bad answer): the
    /// core's input if that is the request in flight.
    pub fn on_failure(
        &mut self,
        to: i32,
        correlation_id: u64,
        error: RequestError,
    ) -> Option<Input> {
        self.take_in_flight(correlation_id)?;
        Some(Input::RequestFailed {
            to,
            correlation_id,
            error,
        })
    }

    /// The request in flight to `to` if it is `correlation_id` and its deadline passed at `now_ms`:
    /// it failed with `RequestError::Timeout` (a late answer is dropped).
    pub fn on_timeout(&mut self, to: i32, correlation_id: u64, now_ms: u64) -> Option<Input> {
        let in_flight = self.in_flight?;
        if in_flight.correlation_id != correlation_id || now_ms < in_flight.deadline_ms {
            return None;
        }
        self.on_failure(to, correlation_id, RequestError::Timeout)
    }

    /// The peer left the address book (or moved): every request in flight or queued fails. Their
    /// correlation ids, the one in flight first; the queue is empty afterwards, and an answer
    /// still arriving for the one in flight is dropped.
    pub fn close(&mut self) -> Vec<u64> {
        let mut failed = Vec::with_capacity(1 + self.queue.len());
        failed.extend(self.in_flight.take().map(|f| f.correlation_id));
        failed.extend(self.queue.drain(..).map(|q| q.correlation_id));
        failed
    }

    fn take_in_flight(&mut self, correlation_id: u64) -> Option<InFlight> {
        let in_flight = self.in_flight?;
        if in_flight.correlation_id != correlation_id {
            return None;
        }
        self.in_flight = None;
        Some(in_flight)
    }
}

/// Request failures waiting for the Raft loop (bounded; see [`FAILURE_QUEUE_CAPACITY`]).
#[derive(Debug, Default)]
pub struct FailureQueue {
    queue: VecDeque<(i32, u64, RequestError)>,
    dropped: u64,
}

impl FailureQueue {
    pub fn new() -> FailureQueue {
        FailureQueue::default()
    }

    /// Queues the failure of request `correlation_id` to `to`; false (and counted) when the
    /// queue is full and the failure is dropped.
    pub fn push(&mut self, to: i32, correlation_id: u64, error: RequestError) -> bool {
        if self.queue.len() >= FAILURE_QUEUE_CAPACITY {
            self.dropped += 1;
            return false;
        }
        self.queue.push_back((to, correlation_id, error));
        true
    }

    /// The oldest failure, as the core's input.
    pub fn pop(&mut self) -> Option<Input> {
        let (to, correlation_id, error) = self.queue.pop_front()?;
        Some(Input::RequestFailed {
            to,
            correlation_id,
            error,
        })
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Failures dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

mod peer_book;
pub use peer_book::{plan_peer_changes, PeerChange, MAX_PEERS};

#[cfg(test)]
mod tests;
