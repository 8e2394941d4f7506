//! Typed errors of the network layer, one small file per error type.

mod client;
mod decode;
mod encode;
mod frame;

pub use client::ClientError;
pub use decode::{DecodeError, RequestDecodeError};
pub use encode::EncodeError;
pub use frame::FrameError;
