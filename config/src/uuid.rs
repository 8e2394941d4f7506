//! Kafka's `Uuid` in its string form: 16 bytes as URL-safe base64 without
//! padding (22 characters), as `--replica-directory-id` takes it.

use std::fmt;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A 128-bit Kafka UUID (e.g. a replica directory id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Uuid {
    pub most_significant_bits: u64,
    pub least_significant_bits: u64,
}

/// Why a string is not a Kafka UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UuidError {
    /// Decoded to another length than 16 bytes.
    WrongLength { decoded_bytes: usize },
    /// A character outside the URL-safe base64 alphabet.
    InvalidCharacter { character: char },
}

impl fmt::Display for UuidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UuidError::WrongLength { decoded_bytes } => write!(
                f,
                "decodes to {decoded_bytes} bytes, a UUID has 16 (22 base64 characters)"
            ),
            UuidError::InvalidCharacter { character } => {
                write!(f, "`{character}` is not a URL-safe base64 character")
            }
        }
    }
}

impl std::error::Error for UuidError {}

impl Uuid {
    pub const ZERO: Uuid = Uuid {
        most_significant_bits: 0,
        least_significant_bits: 0,
    };

    /// The 16 bytes, big-endian, as on the wire.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.most_significant_bits.to_be_bytes());
        bytes[8..].copy_from_slice(&self.least_significant_bits.to_be_bytes());
        bytes
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Uuid {
        let mut most = [0u8; 8];
        let mut least = [0u8; 8];
        most.copy_from_slice(&bytes[..8]);
        least.copy_from_slice(&bytes[8..]);
        Uuid {
            most_significant_bits: u64::from_be_bytes(most),
            least_significant_bits: u64::from_be_bytes(least),
        }
    }

    /// Parses URL-safe base64, with or without `=` padding (Java's URL
    /// decoder accepts both).
    pub fn parse_base64(text: &str) -> Result<Uuid, UuidError> {
        let text = text.trim_end_matches('=');
        let mut bytes = Vec::with_capacity(18);
        let mut buffer: u32 = 0;
        let mut bits = 0u32;
        for character in text.chars() {
            let value = u8::try_from(character)
                .ok()
                .and_then(|b| ALPHABET.iter().position(|&a| a == b))
                .ok_or(UuidError::InvalidCharacter { character })?;
            buffer = (buffer << 6) | value as u32;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                bytes.push((buffer >> bits) as u8);
                buffer &= (1 << bits) - 1;
            }
            if bytes.len() > 16 {
                break;
            }
        }
        let bytes: [u8; 16] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| UuidError::WrongLength {
                decoded_bytes: bytes.len(),
            })?;
        Ok(Uuid::from_bytes(bytes))
    }
}

impl fmt::Display for Uuid {
    /// URL-safe base64 without padding, as Kafka prints UUIDs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        let mut out = String::with_capacity(22);
        for chunk in bytes.chunks(3) {
            let mut group = [0u8; 3];
            group[..chunk.len()].copy_from_slice(chunk);
            let n = (u32::from(group[0]) << 16) | (u32::from(group[1]) << 8) | u32::from(group[2]);
            let characters = chunk.len() + 1;
            for i in 0..characters {
                let index = (n >> (18 - 6 * i)) & 0x3f;
                out.push(char::from(ALPHABET[index as usize]));
            }
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_base64() {
        let uuid = Uuid {
            most_significant_bits: 0x0123_4567_89ab_cdef,
            least_significant_bits: 0xfedc_ba98_7654_3210,
        };
        let text = uuid.to_string();
        assert_eq!(text.len(), 22);
        assert_eq!(Uuid::parse_base64(&text), Ok(uuid));
        assert_eq!(Uuid::parse_base64(&format!("{text}==")), Ok(uuid));
    }

    #[test]
    fn known_values() {
        assert_eq!(Uuid::ZERO.to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
        // Kafka's METADATA_TOPIC_ID is Uuid(0, 1).
        let one = Uuid::parse_base64("AAAAAAAAAAAAAAAAAAAAAQ").unwrap();
        assert_eq!(one.most_significant_bits, 0);
        assert_eq!(one.least_significant_bits, 1);
        let all = Uuid::parse_base64("_____________________w").unwrap();
        assert_eq!(all.to_bytes(), [0xff; 16]);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            Uuid::parse_base64("AAAA"),
            Err(UuidError::WrongLength { decoded_bytes: 3 })
        );
        assert_eq!(
            Uuid::parse_base64("AAAAAAAAAAAAAAAAAAAA+Q"),
            Err(UuidError::InvalidCharacter { character: '+' })
        );
        assert!(matches!(
            Uuid::parse_base64("AAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            Err(UuidError::WrongLength { .. })
        ));
        assert!(Uuid::parse_base64("").is_err());
    }
}
