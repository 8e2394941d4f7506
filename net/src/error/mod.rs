//! Typed errors of the network layer, one small file per error type.

mod client;
mod connection_refused;
mod decode;
mod encode;
mod frame;
mod request_decode;

pub use client::ClientError;
pub use connection_refused::ConnectionRefused;
pub use decode::DecodeError;
pub use encode::EncodeError;
pub use frame::FrameError;
pub use request_decode::RequestDecodeError;
