//! Ordering between the core and its runtime (issue 13): a response is taken only as the answer
//! to the request it answers, and a flush completion only for the log it flushed.

mod support;

use bytes::Bytes;
use kraft_engine::message::*;
use kraft_engine::{Input, Output, RequestError};
use support::solo::*;

fn appends(out: &[Output]) -> Vec<(i64, i64)> {
    out.iter()
        .filter_map(|o| match o {
            Output::AppendBatch {
                base_offset,
                last_offset,
                ..
            } => Some((*base_offset, *last_offset)),
            _ => None,
        })
        .collect()
}

fn records(bytes: Vec<u8>) -> Response {
    Response::Fetch(fetch_response(2, 4, -1, Records::Bytes(Bytes::from(bytes))))
}

/// Fetch A times out in the core, Fetch B goes out after the backoff; then A's answer arrives
/// (the peer was slow, the runtime's connection still delivered it). It must not be taken as
/// B's answer: only B's is.
#[test]
fn late_response_after_a_timeout_is_not_taken_for_the_retry() {
    let (mut s, out) = follower_with_short_timeout();
    assert_eq!(sent_fetches(&out).len(), 1, "fetch A");
    let fetch_a = s.in_flight_id(2);
    let start = s.now;
    s.tick_to(start + 1_000);
    let out = s.tick_to(start + 1_020);
    assert_eq!(
        sent_fetches(&out).len(),
        1,
        "fetch B after timeout and backoff"
    );
    assert_ne!(s.in_flight_id(2), fetch_a, "each request has its own id");
    let out = s.step(Input::Response {
        from: 2,
        correlation_id: fetch_a,
        response: records(data_batch(0, 4, 3)),
    });
    assert!(
        appends(&out).is_empty(),
        "the late answer to fetch A was taken as fetch B's: {out:?}"
    );
    assert_eq!(s.node.status().log_end_offset, 0);
    let out = s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: records(data_batch(0, 4, 2)),
    });
    assert_eq!(appends(&out), vec![(0, 1)], "fetch B's answer is taken");
}

/// The runtime reports fetch A failed (its own timeout) after the core already timed it out and
/// sent fetch B: the report is about A, so B stays in flight and its answer is taken.
#[test]
fn late_failure_of_a_timed_out_request_does_not_fail_the_retry() {
    let (mut s, _) = follower_with_short_timeout();
    let fetch_a = s.in_flight_id(2);
    let start = s.now;
    s.tick_to(start + 1_000);
    let out = s.tick_to(start + 1_020);
    assert_eq!(sent_fetches(&out).len(), 1, "fetch B");
    let out = s.step(Input::RequestFailed {
        to: 2,
        correlation_id: fetch_a,
        error: RequestError::Timeout,
    });
    assert!(out.is_empty(), "{out:?}");
    let out = s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: records(data_batch(0, 4, 2)),
    });
    assert_eq!(
        appends(&out),
        vec![(0, 1)],
        "fetch B is still in flight after fetch A's failure report"
    );
}

fn diverging(epoch: i32, end_offset: i64) -> Response {
    let mut r = fetch_response(2, 4, -1, Records::Empty);
    r.diverging_epoch = EpochEndOffset { epoch, end_offset };
    Response::Fetch(r)
}

/// Two rounds of divergence (to 5, then to 3), then the leader's records [3, 4). The log layer
/// started a flush after the first truncation (it covers [0, 5)) and reports it only after the
/// second truncation and the re-append: that report says nothing about the new bytes at 3, so
/// the core must not count them durable nor acknowledge them with a Fetch.
#[test]
fn flush_completion_from_before_a_truncation_does_not_cover_re_appended_offsets() {
    let mut s = follower_with_divergent_log();
    let out = s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: diverging(3, 5),
    });
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Truncate { to_offset: 5, .. })));
    assert_eq!(sent_fetches(&out).len(), 1);
    let out = s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: diverging(2, 3),
    });
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Truncate { to_offset: 3, .. })));
    assert_eq!(sent_fetches(&out).len(), 1);
    let out = s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: records(data_batch(3, 4, 1)),
    });
    assert_eq!(appends(&out), vec![(3, 3)]);
    assert_eq!(s.node.status().log_generation, 2);
    // The flush started after the first truncation (generation 1) completes now.
    let out = s.step(Input::LogFlushed {
        flushed_end_offset: 5,
        generation: 1,
    });
    assert_eq!(
        s.node.status().flushed_end_offset,
        3,
        "a flush of the log before the last truncation was taken as durable for offset 3"
    );
    assert!(
        sent_fetches(&out).is_empty(),
        "fetch acknowledges unflushed bytes: {out:?}"
    );
    // The flush the log started after the append reports generation 2: now 4 is durable.
    let out = s.step(Input::LogFlushed {
        flushed_end_offset: 4,
        generation: 2,
    });
    assert_eq!(s.node.status().flushed_end_offset, 4);
    assert_eq!(sent_fetches(&out).len(), 1);
    assert_eq!(sent_fetches(&out)[0].fetch_offset, 4);
}

/// Each truncation starts a generation that the Truncate, the Flush after it and a leader's
/// LogRange carry.
#[test]
fn truncate_flush_and_log_range_carry_the_log_generation() {
    let mut s = follower_with_divergent_log();
    assert_eq!(s.node.status().log_generation, 0);
    let out = s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: diverging(2, 3),
    });
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Truncate {
            to_offset: 3,
            generation: 1
        }
    )));
    let out = s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: records(data_batch(3, 4, 1)),
    });
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Flush {
            up_to_offset: 4,
            generation: 1
        }
    )));
    s.step(Input::LogFlushed {
        flushed_end_offset: 4,
        generation: 1,
    });
    // Node 1 wins epoch 5 and answers a Fetch with a range of generation 1.
    s.tick_to(s.now + 10_000);
    for v in [2, 3] {
        s.step(Input::Response {
            from: v,
            correlation_id: s.in_flight_id(v),
            response: Response::Vote(vote_response(s.epoch(), -1, true)),
        });
    }
    assert_eq!(s.state(), kraft_engine::StateName::Leader);
    let (response, _) = s.request(Request::Fetch(fetch_request(2, s.epoch(), 3, 2)));
    let fetch = as_fetch(response);
    assert_eq!(
        fetch.records,
        Records::LogRange {
            from_offset: 3,
            max_bytes: 8 << 20,
            generation: 1
        }
    );
}
