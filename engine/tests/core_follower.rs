//! The fetcher's side (spec 3.6 "Follower", 4.4 truncation, 5.1 follower HW) and observers.
//! Raft §5.3: a follower accepts only entries that extend a matching log.

mod support;

use bytes::Bytes;
use kraft_engine::message::*;
use kraft_engine::{ElectionState, Input, Output, RestoredState, StateName};
use support::solo::*;

fn follower() -> Solo {
    Solo::restored_with_leader(1, &[1, 2, 3], 4, 2)
}

fn fetches(out: &[Output]) -> Vec<(i32, FetchRequest)> {
    sent(out)
        .into_iter()
        .filter_map(|(to, r)| match r {
            Request::Fetch(f) => Some((to, f)),
            _ => None,
        })
        .collect()
}

fn appends(out: &[Output]) -> Vec<(i64, i64, i32)> {
    out.iter()
        .filter_map(|o| match o {
            Output::AppendBatch {
                base_offset,
                last_offset,
                epoch,
                ..
            } => Some((*base_offset, *last_offset, *epoch)),
            _ => None,
        })
        .collect()
}

fn respond_records(s: &mut Solo, hw: i64, bytes: Vec<u8>) -> Vec<Output> {
    s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Fetch(fetch_response(2, 4, hw, Records::Bytes(Bytes::from(bytes)))),
    })
}

#[test]
fn follower_fetches_at_startup_with_its_log_position() {
    let mut cfg = support::config(1, &[1, 2, 3]);
    cfg.pre_vote = false;
    let (_, out) = Solo::new(
        cfg,
        RestoredState {
            election: ElectionState {
                epoch: 4,
                leader_id: Some(2),
                voted_key: None,
            },
            ..RestoredState::empty()
        },
    );
    let f = fetches(&out);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].0, 2);
    let r = &f[0].1;
    assert_eq!(
        (
            r.replica_id,
            r.current_leader_epoch,
            r.fetch_offset,
            r.last_fetched_epoch
        ),
        (1, 4, 0, 0)
    );
    assert_eq!(r.cluster_id.as_deref(), Some(CLUSTER_ID));
    assert_eq!(r.topic_id, Uuid::from_parts(0, 2));
    assert_eq!(r.max_wait_ms, 500);
}

/// Appends validated batches, flushes, and fetches again only once the flush is reported.
#[test]
fn follower_appends_then_fetches_only_after_flush() {
    let mut s = follower();
    let mut bytes = data_batch(0, 3, 2);
    bytes.extend(data_batch(2, 4, 3));
    let out = respond_records(&mut s, 4, bytes);
    assert_eq!(appends(&out), vec![(0, 1, 3), (2, 4, 4)]);
    let flush = out.iter().position(|o| {
        matches!(
            o,
            Output::Flush {
                up_to_offset: 5,
                ..
            }
        )
    });
    assert!(flush.is_some(), "{out:?}");
    assert!(
        fetches(&out).is_empty(),
        "no Fetch before the flush completes"
    );
    // HW = min(leader HW, local LEO) = 4.
    assert_eq!(s.node.high_watermark(), Some(4));
    let out = s.step(Input::LogFlushed {
        flushed_end_offset: 3,
        generation: s.node.status().log_generation,
    });
    assert!(fetches(&out).is_empty(), "partially flushed is not enough");
    let out = s.step(Input::LogFlushed {
        flushed_end_offset: 5,
        generation: s.node.status().log_generation,
    });
    let f = fetches(&out);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].1.fetch_offset, f[0].1.last_fetched_epoch), (5, 4));
    assert_eq!(f[0].1.high_watermark, 4);
}

#[test]
fn follower_high_watermark_is_capped_by_its_log_and_monotonic() {
    let mut s = follower();
    respond_records(&mut s, 100, data_batch(0, 4, 2));
    assert_eq!(s.node.high_watermark(), Some(2));
    s.step(Input::LogFlushed {
        flushed_end_offset: 2,
        generation: s.node.status().log_generation,
    });
    // A lower HW from the leader never moves it back.
    s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Fetch(fetch_response(2, 4, 1, Records::Empty)),
    });
    assert_eq!(s.node.high_watermark(), Some(2));
}

/// Corrupt, non-contiguous or future-epoch batches are not appended.
#[test]
fn follower_rejects_bad_batches() {
    // CRC mismatch: flip a byte inside the records.
    let mut s = follower();
    let mut bytes = data_batch(0, 4, 2);
    let last = bytes.len() - 2;
    bytes[last] ^= 0xff;
    let out = respond_records(&mut s, 2, bytes);
    assert!(appends(&out).is_empty());
    assert_eq!(s.node.status().log_end_offset, 0);
    // Not starting at the log end.
    let mut s = follower();
    let out = respond_records(&mut s, 2, data_batch(5, 4, 2));
    assert!(appends(&out).is_empty());
    // Epoch above the leader's.
    let mut s = follower();
    let out = respond_records(&mut s, 2, data_batch(0, 5, 2));
    assert!(appends(&out).is_empty());
    // Epochs going backwards: the second batch is refused, the first kept.
    let mut s = follower();
    let mut bytes = data_batch(0, 4, 1);
    bytes.extend(data_batch(1, 3, 1));
    let out = respond_records(&mut s, 2, bytes);
    assert_eq!(appends(&out), vec![(0, 0, 4)]);
    // A trailing partial batch is ignored, the whole ones appended.
    let mut s = follower();
    let mut bytes = data_batch(0, 4, 2);
    let partial = data_batch(2, 4, 2);
    bytes.extend_from_slice(&partial[..partial.len() - 5]);
    let out = respond_records(&mut s, 2, bytes);
    assert_eq!(appends(&out), vec![(0, 1, 4)]);
}

/// Spec 4.4: truncate to the divergence point, then fetch from there.
#[test]
fn follower_truncates_on_diverging_epoch() {
    // Restarted with epoch 2 in [0, 3) and epoch 3 in [3, 6), the latter never on the leader.
    let mut s = follower_with_divergent_log();
    let mut r = fetch_response(2, 4, -1, Records::Empty);
    // The leader's epoch 2 ends at 3 and it never had epoch 3.
    r.diverging_epoch = EpochEndOffset {
        epoch: 2,
        end_offset: 3,
    };
    let out = s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Fetch(r),
    });
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Truncate { to_offset: 3, .. })),
        "{out:?}"
    );
    let status = s.node.status();
    assert_eq!((status.log_end_offset, status.last_fetched_epoch), (3, 2));
    let f = fetches(&out);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].1.fetch_offset, f[0].1.last_fetched_epoch), (3, 2));
}

/// Spec 7.1 (8): never truncate below the high watermark.
#[test]
fn follower_refuses_truncation_below_high_watermark() {
    let mut s = follower();
    respond_records(&mut s, 4, data_batch(0, 4, 5));
    s.step(Input::LogFlushed {
        flushed_end_offset: 5,
        generation: s.node.status().log_generation,
    });
    assert_eq!(s.node.high_watermark(), Some(4));
    let mut r = fetch_response(2, 4, -1, Records::Empty);
    r.diverging_epoch = EpochEndOffset {
        epoch: 0,
        end_offset: 2,
    };
    let out = s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Fetch(r),
    });
    assert!(!out.iter().any(|o| matches!(o, Output::Truncate { .. })));
    assert_eq!(s.node.status().log_end_offset, 5);
}

/// Raft §5.2: a follower that hears nothing for the fetch timeout starts an election.
#[test]
fn follower_fetch_timeout_starts_an_election() {
    let mut s = follower();
    let start = s.now;
    s.tick_to(start + 1_999);
    assert_eq!(s.state(), StateName::Follower);
    // A successful fetch resets the timer.
    s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Fetch(fetch_response(2, 4, -1, Records::Empty)),
    });
    s.tick_to(start + 2_500);
    assert_eq!(s.state(), StateName::Follower);
    s.tick_to(start + 1_999 + 2_000);
    assert_eq!(s.state(), StateName::Candidate);
    assert_eq!(s.epoch(), 5);
}

/// A request that gets no answer times out after request.timeout.ms and is retried after
/// retry.backoff.ms; a failed one is retried after the backoff too.
#[test]
fn unanswered_fetch_times_out_and_is_retried_after_backoff() {
    let (mut s, out) = follower_with_short_timeout();
    assert_eq!(fetches(&out).len(), 1);
    let start = s.now;
    assert!(
        fetches(&s.tick_to(start + 999)).is_empty(),
        "one request in flight"
    );
    assert!(
        fetches(&s.tick_to(start + 1_000)).is_empty(),
        "timed out: backoff first"
    );
    assert!(fetches(&s.tick_to(start + 1_019)).is_empty());
    assert_eq!(fetches(&s.tick_to(start + 1_020)).len(), 1, "retried");
    // A reported failure backs off the same way.
    let out = s.step(Input::RequestFailed {
        to: 2,
        correlation_id: s.in_flight_id(2),
        error: kraft_engine::RequestError::Disconnected,
    });
    assert!(fetches(&out).is_empty());
    assert_eq!(fetches(&s.tick_to(s.now + 20)).len(), 1);
    // A failure report for a destination with nothing in flight is ignored.
    let out = s.step(Input::RequestFailed {
        to: 3,
        correlation_id: s.in_flight_id(3),
        error: kraft_engine::RequestError::Timeout,
    });
    assert!(out.is_empty());
}

/// Observers follow like followers but never start elections; after a fetch timeout they ask
/// some voter who leads now.
#[test]
fn observer_never_elects_and_rediscovers_the_leader() {
    let (mut s, out) = Solo::new(support::config(7, &[1, 2, 3]), RestoredState::empty());
    assert_eq!(s.state(), StateName::Unattached);
    assert!(!s.node.status().is_voter);
    // An observer without a leader fetches from some voter at once.
    let f = fetches(&out);
    assert_eq!(f.len(), 1);
    let asked = f[0].0;
    // The voter answers NOT_LEADER_OR_FOLLOWER naming leader 2 in epoch 4: follow 2.
    let mut r = fetch_response(2, 4, -1, Records::Empty);
    r.partition_error_code = ErrorCode::NOT_LEADER_OR_FOLLOWER;
    let out = s.step(Input::Response {
        from: asked,
        correlation_id: s.in_flight_id(asked),
        response: Response::Fetch(r),
    });
    assert_eq!(s.state(), StateName::Follower);
    assert_eq!(s.node.status().leader_id, Some(2));
    assert_eq!(fetches(&out)[0].0, 2);
    // Leader 2 goes silent: after the fetch timeout the observer asks some voter again.
    let start = s.now;
    let mut asked_again = false;
    while s.now < start + 2_100 {
        let out = s.tick_next();
        asked_again |= s.now >= start + 2_000 && !fetches(&out).is_empty();
    }
    assert!(asked_again);
    // And never runs an election.
    s.tick_to(s.now + 100_000);
    assert_eq!(s.state(), StateName::Follower);
    assert_eq!(s.epoch(), 4);
}

/// Any Fetch acknowledges durable data: an Unattached voter with an unflushed tail waits for the
/// flush before asking the bootstrap voters (else a leader could count unflushed records).
#[test]
fn no_fetch_of_any_kind_before_the_flush() {
    let mut s = follower();
    respond_records(&mut s, -1, data_batch(0, 4, 3));
    // A higher-epoch vote makes it Unattached while offsets 0..3 are not durable yet.
    let (_, out) = s.request(Request::Vote(vote_request(3, 9, 0, 0)));
    assert_eq!(s.state(), StateName::Unattached);
    assert!(fetches(&out).is_empty());
    let out = s.step(Input::LogFlushed {
        flushed_end_offset: 3,
        generation: s.node.status().log_generation,
    });
    let f = fetches(&out);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].1.fetch_offset, f[0].1.current_leader_epoch), (3, 9));
}

/// A DivergingEpoch that would cut records this leader already sent in its epoch is a stale
/// response (to an older request): it is ignored, nothing acknowledged is truncated.
#[test]
fn stale_diverging_response_does_not_truncate_records_from_the_leader() {
    let mut s = follower();
    respond_records(&mut s, -1, data_batch(0, 4, 5));
    s.step(Input::LogFlushed {
        flushed_end_offset: 5,
        generation: s.node.status().log_generation,
    });
    let mut r = fetch_response(2, 4, -1, Records::Empty);
    r.diverging_epoch = EpochEndOffset {
        epoch: 4,
        end_offset: 1,
    };
    let out = s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Fetch(r),
    });
    assert!(!out.iter().any(|o| matches!(o, Output::Truncate { .. })));
    assert_eq!(s.node.status().log_end_offset, 5);
}
