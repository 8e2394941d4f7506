//! The server runtime: joins the Raft engine, the network and the segment
//! log on pinned executors. Placeholder until the runtime is wired.

pub mod server;
