//! The pipeline against a model log: one fsync in flight, group commit, truncations after the
//! fsync in flight, reports in the generation flushed, coalescing in the slot.

use super::*;
use crate::report::FlushReportSlot;

/// Offsets only: `end` appended, `durable` flushed, tickets carry (end, truncations).
#[derive(Default)]
struct ModelLog {
    end: i64,
    durable: i64,
    truncations: u64,
    generation: u64,
}

impl LogStorage for ModelLog {
    type Batch = i64;
    type FlushTicket = (i64, u64);
    type Error = ();

    fn append(&mut self, records: i64) -> Result<(), ()> {
        self.end += records;
        Ok(())
    }
    fn truncate_to(&mut self, to_offset: i64) -> Result<(), ()> {
        self.end = self.end.min(to_offset);
        self.durable = self.durable.min(to_offset);
        self.truncations += 1;
        Ok(())
    }
    fn prepare_flush(&mut self) -> (i64, u64) {
        (self.end, self.truncations)
    }
    fn complete_flush(&mut self, (end, truncations): (i64, u64)) -> i64 {
        if truncations == self.truncations {
            self.durable = self.durable.max(end);
        }
        self.durable
    }
    fn generation(&self) -> u64 {
        self.generation
    }
    fn start_generation(&mut self, generation: u64) {
        self.generation = generation;
    }
}

#[test]
fn one_fsync_in_flight_and_group_commit() {
    let (mut log, mut pipeline) = (ModelLog::default(), LogPipeline::new());
    assert!(pipeline.next_flush(&mut log).is_none(), "nothing asked");
    pipeline.append(&mut log, 5).unwrap();
    pipeline.request_flush(&log, 0);
    let first = pipeline.next_flush(&mut log).expect("starts at once");
    pipeline.append(&mut log, 3).unwrap();
    pipeline.request_flush(&log, 0);
    pipeline.append(&mut log, 2).unwrap();
    pipeline.request_flush(&log, 0);
    assert!(pipeline.next_flush(&mut log).is_none(), "one in flight");
    let report = pipeline.complete_flush(&mut log, first);
    assert_eq!(
        report,
        FlushReport {
            flushed_end_offset: 5,
            generation: 0
        }
    );
    let second = pipeline
        .next_flush(&mut log)
        .expect("the two requests, in one fsync");
    assert!(pipeline.next_flush(&mut log).is_none());
    assert_eq!(
        pipeline.complete_flush(&mut log, second).flushed_end_offset,
        10
    );
    assert!(
        pipeline.next_flush(&mut log).is_none(),
        "nothing more asked"
    );
}

#[test]
fn truncation_waits_for_the_fsync_in_flight_and_flushes_after() {
    let (mut log, mut pipeline) = (ModelLog::default(), LogPipeline::new());
    pipeline.append(&mut log, 6).unwrap();
    pipeline.request_flush(&log, 0);
    let ticket = pipeline.next_flush(&mut log).unwrap();
    assert!(pipeline.truncation_must_wait());
    let raced = pipeline.complete_flush(&mut log, ticket);
    assert_eq!(
        raced,
        FlushReport {
            flushed_end_offset: 6,
            generation: 0
        }
    );
    assert!(!pipeline.truncation_must_wait());
    pipeline.truncate(&mut log, 3, 1).unwrap();
    assert_eq!(log.generation, 1);
    pipeline.append(&mut log, 1).unwrap();
    let ticket = pipeline
        .next_flush(&mut log)
        .expect("a truncation is followed by a flush");
    let report = pipeline.complete_flush(&mut log, ticket);
    assert_eq!(
        report,
        FlushReport {
            flushed_end_offset: 4,
            generation: 1
        }
    );
}

#[test]
#[should_panic(expected = "with an fsync in flight")]
fn truncation_during_an_fsync_is_refused() {
    let (mut log, mut pipeline) = (ModelLog::default(), LogPipeline::new());
    pipeline.append(&mut log, 6).unwrap();
    pipeline.request_flush(&log, 0);
    let _ticket = pipeline.next_flush(&mut log).unwrap();
    let _ = pipeline.truncate(&mut log, 3, 1);
}

#[test]
fn slot_keeps_the_latest_report() {
    let mut slot = FlushReportSlot::default();
    assert!(slot.take().is_none());
    slot.put(FlushReport {
        flushed_end_offset: 6,
        generation: 0,
    });
    slot.put(FlushReport {
        flushed_end_offset: 4,
        generation: 1,
    });
    assert_eq!(
        slot.take(),
        Some(FlushReport {
            flushed_end_offset: 4,
            generation: 1
        }),
        "the newer generation's end, not the larger offset"
    );
    assert!(slot.is_empty());
    slot.put(FlushReport {
        flushed_end_offset: 9,
        generation: 1,
    });
    slot.put(FlushReport {
        flushed_end_offset: 12,
        generation: 1,
    });
    assert_eq!(slot.take().map(|r| r.flushed_end_offset), Some(12));
}

#[test]
#[should_panic(expected = "within generation 1")]
fn slot_refuses_a_durable_end_going_back_in_a_generation() {
    let mut slot = FlushReportSlot::default();
    slot.put(FlushReport {
        flushed_end_offset: 6,
        generation: 1,
    });
    slot.put(FlushReport {
        flushed_end_offset: 4,
        generation: 1,
    });
}
