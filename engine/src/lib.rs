//! kraft-engine: the sans-IO KRaft core.
//!
//! `message` holds the Raft-level request/response types the network layer converts Kafka wire
//! messages to and from.

pub mod message;

pub use kraft_records::Uuid;
