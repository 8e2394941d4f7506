//! AddRaftVoterRequest at versions 0 and 1. kafka-protocol 0.18 knows version 0 only; version 1
//! (KIP-1186) adds one field, `AckWhenCommitted` (bool, default true), between `Listeners` and
//! the tagged fields, and changes nothing else. So a v1 body is a v0 body with that one byte
//! inserted where the listeners end: we encode and decode through kafka-protocol's v0 codec and
//! splice the byte in or out at the offset the structural walker finds.
//!
//! The response is the same in both versions ("Version 1 is the same as version 0"): it goes
//! through kafka-protocol's v0 codec whatever the version.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::AddRaftVoterRequest;
use kafka_protocol::protocol::{Decodable, Encodable};

use super::guard::add_raft_voter_listeners_end;
use crate::error::DecodeError;

/// The first version with `AckWhenCommitted`.
pub const ACK_WHEN_COMMITTED_VERSION: i16 = 1;

/// An AddRaftVoter request at any version we serve.
#[derive(Clone, Debug, PartialEq)]
pub struct AddRaftVoterWire {
    /// Every field of version 0.
    pub request: AddRaftVoterRequest,
    /// v1+; what a v0 request means (true) when read at v0, and not written at v0.
    pub ack_when_committed: bool,
}

impl AddRaftVoterWire {
    /// Writes the body at version `v` (0 or 1).
    pub fn encode(&self, buf: &mut BytesMut, v: i16) -> Result<(), String> {
        if v < ACK_WHEN_COMMITTED_VERSION {
            return self.request.encode(buf, v).map_err(|e| e.to_string());
        }
        let start = buf.len();
        self.request.encode(buf, 0).map_err(|e| e.to_string())?;
        let split = start
            + add_raft_voter_listeners_end(&buf[start..])
                .map_err(|e| format!("cannot find the end of our own listeners: {e}"))?;
        let tags = buf.split_off(split);
        buf.put_u8(u8::from(self.ack_when_committed));
        buf.unsplit(tags);
        Ok(())
    }

    /// Reads a body at version `v` (0 or 1). Never panics on any input.
    pub fn decode(body: Bytes, v: i16) -> Result<Self, DecodeError> {
        if v < ACK_WHEN_COMMITTED_VERSION {
            let request = AddRaftVoterRequest::decode(&mut body.clone(), v).map_err(codec)?;
            return Ok(AddRaftVoterWire {
                request,
                ack_when_committed: true,
            });
        }
        let split = add_raft_voter_listeners_end(&body)?;
        let Some(&ack) = body.get(split) else {
            return Err(DecodeError::Truncated {
                field: "ack_when_committed",
            });
        };
        let mut v0 = BytesMut::with_capacity(body.len() - 1);
        v0.extend_from_slice(&body[..split]);
        v0.extend_from_slice(&body[split + 1..]);
        let request = AddRaftVoterRequest::decode(&mut v0.freeze(), 0).map_err(codec)?;
        Ok(AddRaftVoterWire {
            request,
            ack_when_committed: ack != 0,
        })
    }
}

fn codec(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Codec {
        reason: e.to_string(),
    }
}
