//! kraft-net: Apache Kafka's wire protocol for the KRaft node.
//!
//! - [`codec`]: framing, headers, request/response codecs on `kafka-protocol`, a structural
//!   guard that makes decoding hostile input safe (kafka-protocol alone aborts the process on a
//!   huge array count), and the hand-written zero-copy Fetch response encoder. Pure, no runtime:
//!   fuzzed and benchmarked directly.
//! - [`convert`]: `kafka-protocol` messages to and from the Raft core's types
//!   (`kraft_message`), one file per API.
//! - [`server`] / [`client`]: glommio TCP server and per-peer client connections; [`addr`]:
//!   host names resolved and listeners bound as Kafka's Java code does.
//! - [`source`]: the [`source::RecordSource`] trait through which the server reads log slices
//!   for zero-copy Fetch responses.
//!
//! Runtime usage (all on one glommio executor):
//!
//! ```text
//! // Server: one per listener. The handler forwards each request to the core and returns a
//! // future of its response; responses are written in request order per connection.
//! struct Core { /* channel to the Raft core */ }
//! impl RequestHandler for Core {
//!     fn handle(&self, request: InboundRequest) -> ResponseFuture {
//!         Box::pin(async move { /* send request.request to the core, await its Response */ })
//!     }
//! }
//! let server = Server::bind(ServerConfig::new("CONTROLLER", "0.0.0.0:9093"))?;
//! glommio::spawn_local(server.serve(Rc::new(core), Rc::new(log_source), stop_future)).detach();
//!
//! // Client: one per peer voter; one request in flight, ApiVersions negotiated on connect.
//! let mut peer = PeerClient::new(ClientConfig::new("node-2:9093", "raft-client-1"));
//! let response: Result<Response, ClientError> = peer.send(&Request::Vote(vote)).await;
//! ```

pub mod addr;
pub mod client;
pub mod codec;
pub mod convert;
pub mod error;
pub mod probe;
pub mod samples;
pub mod server;
pub mod source;
