//! Outbound request bookkeeping (Kafka's `RequestManager`): one request in flight per
//! destination, a request timeout, and a retry backoff after a failure. Each request has a
//! correlation id; a response or failure report is taken only for the request in flight (a late
//! answer to a request that already timed out must not pass for the answer to its retry).

use std::collections::BTreeMap;

use crate::message::ApiKind;

#[derive(Clone, Copy, Debug)]
struct InFlight {
    correlation_id: u64,
    kind: ApiKind,
    deadline_ms: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Connection {
    in_flight: Option<InFlight>,
    backoff_until_ms: u64,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Connections {
    map: BTreeMap<i32, Connection>,
}

impl Connections {
    /// Nothing in flight to `to` and no backoff running.
    pub(crate) fn is_ready(&self, to: i32, now_ms: u64) -> bool {
        match self.map.get(&to) {
            None => true,
            Some(c) => c.in_flight.is_none() && now_ms >= c.backoff_until_ms,
        }
    }

    pub(crate) fn has_in_flight(&self, to: i32) -> bool {
        self.map.get(&to).is_some_and(|c| c.in_flight.is_some())
    }

    /// Is `correlation_id` the request in flight to `to`?
    pub(crate) fn is_in_flight(&self, to: i32, correlation_id: u64) -> bool {
        self.map.get(&to).is_some_and(|c| {
            c.in_flight
                .is_some_and(|f| f.correlation_id == correlation_id)
        })
    }

    pub(crate) fn on_sent(
        &mut self,
        to: i32,
        correlation_id: u64,
        kind: ApiKind,
        now_ms: u64,
        timeout_ms: u64,
    ) {
        let c = self.map.entry(to).or_default();
        debug_assert!(
            c.in_flight.is_none(),
            "one request in flight per destination"
        );
        c.in_flight = Some(InFlight {
            correlation_id,
            kind,
            deadline_ms: now_ms.saturating_add(timeout_ms),
        });
    }

    /// A response of `kind` to request `correlation_id` arrived from `from`: is it the one we
    /// wait for? Clears the in-flight. The API must match too: the runtime decodes a response
    /// by its request's API, so a mismatch is a runtime bug, refused like a stale response.
    pub(crate) fn on_response(&mut self, from: i32, correlation_id: u64, kind: ApiKind) -> bool {
        match self.map.get_mut(&from) {
            Some(c)
                if c.in_flight
                    .is_some_and(|f| f.correlation_id == correlation_id && f.kind == kind) =>
            {
                c.in_flight = None;
                true
            }
            _ => false,
        }
    }

    /// The exchange with `to` failed: back off before the next request.
    pub(crate) fn on_failure(&mut self, to: i32, now_ms: u64, backoff_ms: u64) {
        let c = self.map.entry(to).or_default();
        c.in_flight = None;
        c.backoff_until_ms = now_ms.saturating_add(backoff_ms);
    }

    /// Forgets all in-flight requests (their late responses will be dropped) and backoffs.
    pub(crate) fn reset_all(&mut self) {
        self.map.clear();
    }

    /// Destinations whose in-flight request passed its deadline.
    pub(crate) fn timed_out(&self, now_ms: u64) -> Vec<i32> {
        self.map
            .iter()
            .filter(|(_, c)| c.in_flight.is_some_and(|f| now_ms >= f.deadline_ms))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Earliest moment something changes by itself (a timeout or a backoff end).
    pub(crate) fn next_deadline_ms(&self, now_ms: u64) -> Option<u64> {
        self.map
            .values()
            .filter_map(|c| match c.in_flight {
                Some(f) => Some(f.deadline_ms),
                None if c.backoff_until_ms > now_ms => Some(c.backoff_until_ms),
                None => None,
            })
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_in_flight_timeout_and_backoff() {
        let mut c = Connections::default();
        assert!(c.is_ready(2, 0));
        c.on_sent(2, 7, ApiKind::Fetch, 0, 100);
        assert!(!c.is_ready(2, 50));
        assert!(c.is_ready(3, 50));
        assert!(c.is_in_flight(2, 7));
        assert!(!c.is_in_flight(2, 6));
        assert!(!c.is_in_flight(3, 7));
        assert_eq!(c.next_deadline_ms(0), Some(100));
        assert!(c.timed_out(99).is_empty());
        assert_eq!(c.timed_out(100), vec![2]);
        assert!(
            !c.on_response(2, 7, ApiKind::Vote),
            "wrong api is not the awaited response"
        );
        assert!(
            !c.on_response(2, 6, ApiKind::Fetch),
            "another request's answer is not the awaited response"
        );
        assert!(c.on_response(2, 7, ApiKind::Fetch));
        assert!(
            !c.on_response(2, 7, ApiKind::Fetch),
            "a second response is not expected"
        );
        c.on_failure(2, 200, 20);
        assert!(!c.is_ready(2, 219));
        assert!(c.is_ready(2, 220));
        assert_eq!(c.next_deadline_ms(200), Some(220));
        c.reset_all();
        assert!(c.is_ready(2, 0));
    }
}
