//! Hand-built histories: each broken one must be reported, each sound twin must not.

use bytes::Bytes;

use super::*;
use crate::disk::SimDisk;
use crate::network::NodeId;

type Disk = SimDisk<ElectionRecord>;

fn log(batches: &[(i64, i64, i32, u8)]) -> Disk {
    let mut disk = Disk::new();
    for &(base, last, epoch, tag) in batches {
        disk.append(base, last, epoch, Bytes::from(vec![tag; 16]))
            .unwrap();
    }
    disk.complete_flush(i64::MAX);
    disk
}

fn append_all(checker: &mut Checker, node: NodeId, disk: &Disk) {
    for b in disk.batches() {
        checker.on_append(0, node, b);
    }
}

mod committed;
mod describe;
mod elections;
mod high_watermark;
mod listeners;
mod liveness;
mod log_matching;
mod membership;
mod snapshots;
