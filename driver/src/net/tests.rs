use super::*;
use kraft_engine::message::{ErrorCode, VoteResponse};

fn answer() -> Response {
    Response::Vote(VoteResponse {
        error_code: ErrorCode::NONE,
        topic_name: String::new(),
        partition: 0,
        partition_error_code: ErrorCode::NONE,
        leader_id: 1,
        leader_epoch: 3,
        vote_granted: true,
        node_endpoints: Vec::new(),
    })
}

fn answered(input: Option<Input>) -> Option<u64> {
    match input? {
        Input::Response { correlation_id, .. } => Some(correlation_id),
        other => panic!("not a response: {other:?}"),
    }
}

fn failed(input: Option<Input>) -> Option<(u64, RequestError)> {
    match input? {
        Input::RequestFailed {
            correlation_id,
            error,
            ..
        } => Some((correlation_id, error)),
        other => panic!("not a failure: {other:?}"),
    }
}

#[test]
fn one_request_in_flight_in_queue_order() {
    let mut peer: PeerQueue<&str> = PeerQueue::new(100);
    peer.push(1, "a").unwrap();
    peer.push(2, "b").unwrap();
    assert_eq!(peer.start_next(0), Some((1, "a")));
    assert_eq!(peer.start_next(0), None, "one request in flight");
    assert_eq!(answered(peer.on_response(2, 1, answer())), Some(1));
    assert_eq!(peer.start_next(5), Some((2, "b")));
    assert_eq!(
        peer.in_flight(),
        Some(InFlight {
            correlation_id: 2,
            deadline_ms: 105
        })
    );
}

#[test]
fn only_the_request_in_flight_is_answered() {
    let mut peer: PeerQueue<&str> = PeerQueue::new(100);
    peer.push(7, "a").unwrap();
    peer.start_next(0);
    assert_eq!(
        answered(peer.on_response(2, 6, answer())),
        None,
        "another request's answer"
    );
    assert_eq!(answered(peer.on_response(2, 7, answer())), Some(7));
    assert_eq!(
        answered(peer.on_response(2, 7, answer())),
        None,
        "a duplicate"
    );
    assert_eq!(
        failed(peer.on_failure(2, 7, RequestError::Disconnected)),
        None
    );
}

#[test]
fn a_request_times_out_at_its_deadline_and_its_late_answer_is_dropped() {
    let mut peer: PeerQueue<&str> = PeerQueue::new(100);
    peer.push(1, "a").unwrap();
    peer.push(2, "b").unwrap();
    peer.start_next(10);
    assert_eq!(
        failed(peer.on_timeout(2, 1, 109)),
        None,
        "before the deadline"
    );
    assert_eq!(failed(peer.on_timeout(2, 2, 200)), None, "not in flight");
    assert_eq!(
        failed(peer.on_timeout(2, 1, 110)),
        Some((1, RequestError::Timeout))
    );
    assert_eq!(peer.start_next(110), Some((2, "b")));
    assert_eq!(
        answered(peer.on_response(2, 1, answer())),
        None,
        "the timed-out request's answer is not the answer to the next one"
    );
    assert_eq!(answered(peer.on_response(2, 2, answer())), Some(2));
}

#[test]
fn the_peer_queue_is_bounded() {
    let mut peer: PeerQueue<u64> = PeerQueue::new(100);
    for id in 0..PEER_QUEUE_CAPACITY as u64 {
        peer.push(id, id).unwrap();
    }
    assert_eq!(peer.push(999, 999), Err(999));
    assert_eq!(peer.queued(), PEER_QUEUE_CAPACITY);
}

#[test]
fn the_failure_queue_is_bounded_and_in_order() {
    let mut failures = FailureQueue::new();
    for id in 0..FAILURE_QUEUE_CAPACITY as u64 {
        assert!(failures.push(2, id, RequestError::Disconnected));
    }
    assert!(!failures.push(2, 999, RequestError::Disconnected));
    assert_eq!(failures.dropped(), 1);
    assert_eq!(
        failed(failures.pop()),
        Some((0, RequestError::Disconnected))
    );
    assert_eq!(failures.len(), FAILURE_QUEUE_CAPACITY - 1);
}

#[test]
fn a_log_range_is_read_only_in_its_generation() {
    assert!(log_range_readable(3, 3));
    assert!(
        !log_range_readable(3, 2),
        "the log has not applied the truncation yet"
    );
    assert!(!log_range_readable(3, 4), "the log was truncated since");
}

/// A peer that leaves the book fails its request in flight and every queued one; an answer that
/// still arrives for the one in flight is dropped.
#[test]
fn closing_a_peer_queue_fails_everything_it_held() {
    let mut queue = PeerQueue::new(1_000);
    for correlation_id in [5, 6, 7] {
        queue.push(correlation_id, ()).unwrap();
    }
    assert_eq!(queue.start_next(0), Some((5, ())));
    assert_eq!(queue.close(), [5, 6, 7]);
    assert_eq!(queue.queued(), 0);
    assert_eq!(queue.in_flight(), None);
    assert!(queue.on_failure(2, 5, RequestError::Disconnected).is_none());
    assert_eq!(queue.start_next(1), None);
}
