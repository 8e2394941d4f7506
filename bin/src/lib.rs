//! The KRaft server: joins the Raft engine, the network and the segment log on pinned
//! executors (`runtime`), behind the `kraft-server` binary.

pub mod quorum_tool;
mod runtime;
pub mod server;
pub mod storage_tool;
