//! kraft-net: Kafka's wire protocol for the KRaft node.
//!
//! - [`codec`]: framing, headers, request/response codecs (on `kafka-protocol`), a structural
//!   guard that makes decoding of hostile input safe, and the hand-written zero-copy Fetch
//!   response encoder. Pure, no runtime.
//! - [`convert`]: `kafka-protocol` messages to and from the Raft core's own message types.
//! - [`server`] / [`client`]: glommio TCP server and per-peer client connections.

pub mod client;
pub mod codec;
pub mod convert;
pub mod error;
pub mod samples;
pub mod server;
pub mod source;
