//! Temporary stand-in for `kraft_records::Uuid` until the records crate lands; same shape
//! (`Uuid(pub [u8; 16])`, `ZERO`, `from_parts`). Replaced by a re-export, so code that names
//! `kraft_engine::message::Uuid` keeps compiling.

/// Kafka Uuid: 16 big-endian bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    pub const ZERO: Uuid = Uuid([0; 16]);

    pub fn from_parts(most: u64, least: u64) -> Uuid {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&most.to_be_bytes());
        bytes[8..].copy_from_slice(&least.to_be_bytes());
        Uuid(bytes)
    }
}
