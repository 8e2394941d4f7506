//! The hashes of simulated logs: a content hash per batch and a chained hash per log prefix,
//! so the checker can compare whole prefixes of two logs in O(1).

/// FNV-1a 64 over `bytes`, continuing from `state`.
pub fn fnv1a64(state: u64, bytes: &[u8]) -> u64 {
    let mut hash = state;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    hash
}

pub const FNV_OFFSET_BASIS: u64 = 0xCBF2_9CE4_8422_2325;

/// Content hash of a batch, eight bytes at a time (batches are hashed on every append, so the
/// byte-wise FNV would dominate a simulation). Not cryptographic; collisions only weaken a test.
pub fn content_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut hash = (bytes.len() as u64).wrapping_mul(K) ^ FNV_OFFSET_BASIS;
    let mut words = bytes.chunks_exact(8);
    for word in words.by_ref() {
        let w = u64::from_le_bytes(word.try_into().expect("chunks_exact yields 8 bytes"));
        hash = (hash ^ w).wrapping_mul(K).rotate_left(29);
    }
    let mut tail = [0u8; 8];
    let rest = words.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    hash = (hash ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    hash ^ (hash >> 32)
}

/// Hash of a log prefix ending with a batch whose bytes hash to `batch_hash`.
pub fn chain_hash(previous_prefix_hash: u64, batch_hash: u64) -> u64 {
    let mut h = previous_prefix_hash ^ batch_hash.rotate_left(17);
    h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 29)
}

/// First byte of a Kafka v2 batch covered by its CRC-32C.
pub(super) const CRC_COVERED_FROM: usize = 21;

/// Prefix hash of the empty log.
pub const EMPTY_PREFIX_HASH: u64 = 0;
