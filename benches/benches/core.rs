//! `cargo bench -p kraft-benches --bench core`: the Raft core's cost per committed record on the
//! leader path (accumulator -> AppendBatch -> flush completion -> high watermark -> handleCommit),
//! with I/O stubbed at the edge, and the heap allocations per batch in steady state (counted by a
//! global allocator wrapper). Baseline in the same run: memcpy of the same bytes.
//!
//! One voter, so the high watermark follows the leader's flushed end offset directly.

use kraft_engine::{
    Input, ListenerEvent, Output, RaftConfig, RaftNode, RestoredState, StateName, Voter,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

struct Counting;
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const RECORD_BYTES: usize = 256;

/// Executes outputs with stubbed I/O; returns (records committed, batches appended).
fn drive(node: &mut RaftNode, now_ms: u64, committed: &mut i64) -> u64 {
    let mut batches = 0;
    // Bounded: each pass consumes the queue; a flush completion adds at most a few outputs.
    for _ in 0..16 {
        let mut flushed_to = None;
        while let Some(output) = node.poll_output() {
            match output {
                Output::AppendBatch { last_offset, .. } => {
                    batches += 1;
                    // This node never truncates: its log stays at generation 0.
                    flushed_to = Some((last_offset + 1, 0));
                }
                Output::Flush {
                    up_to_offset,
                    generation,
                } => flushed_to = Some((up_to_offset, generation)),
                Output::Listener {
                    event:
                        ListenerEvent::Commit {
                            to_offset_exclusive,
                            ..
                        },
                    ..
                } => *committed = to_offset_exclusive,
                _ => {}
            }
        }
        match flushed_to {
            Some((offset, generation)) => node.step(
                now_ms,
                Input::LogFlushed {
                    flushed_end_offset: offset,
                    generation,
                },
            ),
            None => break,
        }
    }
    batches
}

fn main() {
    let mut config = RaftConfig::new(
        1,
        vec![Voter {
            id: 1,
            host: "localhost".into(),
            port: 9092,
        }],
    );
    config.append_linger_ms = 0;
    let mut node = RaftNode::new(config, RestoredState::empty(), 0, 7).expect("valid node");
    node.step(0, Input::RegisterListener(1));
    let mut now_ms = 0;
    let mut committed = 0;
    for _ in 0..10_000 {
        if node.status().state == StateName::Leader {
            break;
        }
        now_ms += 10;
        node.tick(now_ms);
        drive(&mut node, now_ms, &mut committed);
    }
    assert_eq!(
        node.status().state,
        StateName::Leader,
        "a sole voter elects itself"
    );
    let epoch = node.status().epoch;

    for records_per_batch in [1usize, 16, 256] {
        let batches_per_round = 20_000 / records_per_batch.max(1) + 10;
        let mut run = |rounds: usize| -> (f64, f64, u64) {
            let start_records = committed;
            let start_allocs = ALLOCATIONS.load(Ordering::Relaxed);
            let start = Instant::now();
            let mut batches = 0;
            for _ in 0..rounds {
                for _ in 0..records_per_batch {
                    node.append_with(now_ms, epoch, RECORD_BYTES, |out| out.fill(0x5A))
                        .expect("leader append");
                }
                now_ms += 1;
                node.tick(now_ms);
                batches += drive(&mut node, now_ms, &mut committed);
            }
            let ns = start.elapsed().as_nanos() as f64;
            let records = (committed - start_records).max(1) as f64;
            let allocs = (ALLOCATIONS.load(Ordering::Relaxed) - start_allocs) as f64;
            (ns / records, allocs / batches.max(1) as f64, batches)
        };
        run(batches_per_round / 4); // warm-up: buffers and queues reach their steady size
        let (ns_per_record, allocs_per_batch, batches) = run(batches_per_round);
        println!(
            "core leader path, {records_per_batch:>3} x {RECORD_BYTES} B records per batch: {ns_per_record:>8.1} ns/record, \
             {allocs_per_batch:.2} allocations per batch ({batches} batches)"
        );
    }

    // Baseline: moving the same bytes once with memcpy.
    let src = vec![1u8; RECORD_BYTES * 256];
    let mut dst = vec![0u8; RECORD_BYTES * 256];
    let rounds = 20_000;
    let start = Instant::now();
    for _ in 0..rounds {
        dst.copy_from_slice(std::hint::black_box(&src));
        std::hint::black_box(&mut dst);
    }
    let memcpy_ns = start.elapsed().as_nanos() as f64 / (rounds * 256) as f64;
    println!("baseline: memcpy of one {RECORD_BYTES} B record: {memcpy_ns:.1} ns");
}
