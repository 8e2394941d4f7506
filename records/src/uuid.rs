//! Kafka's `Uuid`: 16 bytes, printed as URL-safe base64 without padding (22 characters).

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Uuid(pub [u8; 16]);

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

impl Uuid {
    /// Kafka's "unknown"/"none" value.
    pub const ZERO: Uuid = Uuid([0; 16]);

    /// Kafka's `new Uuid(mostSignificantBits, leastSignificantBits)`.
    pub fn from_parts(most: u64, least: u64) -> Uuid {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&most.to_be_bytes());
        bytes[8..].copy_from_slice(&least.to_be_bytes());
        Uuid(bytes)
    }

    pub fn is_zero(&self) -> bool {
        *self == Uuid::ZERO
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; 22];
        let mut n = 0;
        for chunk in self.0.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let chars = chunk.len() + 1;
            for i in 0..chars {
                out[n] = ALPHABET[((v >> (18 - 6 * i)) & 63) as usize];
                n += 1;
            }
        }
        debug_assert_eq!(n, 22);
        f.write_str(std::str::from_utf8(&out).expect("base64 is ASCII"))
    }
}

/// The text is not a 22-character URL-safe base64 encoding of 16 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UuidParseError {
    pub text: String,
}

impl fmt::Display for UuidParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a Kafka Uuid (22 characters of URL-safe base64)",
            self.text
        )
    }
}

impl std::error::Error for UuidParseError {}

impl FromStr for Uuid {
    type Err = UuidParseError;

    fn from_str(text: &str) -> Result<Uuid, UuidParseError> {
        let error = || UuidParseError {
            text: text.to_string(),
        };
        let chars = text.as_bytes();
        if chars.len() != 22 {
            return Err(error());
        }
        let mut acc: u32 = 0;
        let mut bits = 0;
        let mut out = [0u8; 16];
        let mut n = 0;
        for &c in chars {
            let v = ALPHABET.iter().position(|&a| a == c).ok_or_else(error)? as u32;
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                if n == 16 {
                    return Err(error());
                }
                out[n] = (acc >> bits) as u8;
                n += 1;
                acc &= (1 << bits) - 1;
            }
        }
        // The 4 left-over bits must be zero for a canonical encoding.
        if n != 16 || acc != 0 {
            return Err(error());
        }
        Ok(Uuid(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_reference_values() {
        assert_eq!(Uuid::ZERO.to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(Uuid::from_parts(0, 1).to_string(), "AAAAAAAAAAAAAAAAAAAAAQ");
        assert_eq!(Uuid::from_parts(0, 2).to_string(), "AAAAAAAAAAAAAAAAAAAAAg");
    }

    #[test]
    fn parse_round_trips_and_rejects() {
        let id: Uuid = "PyqcHntNTgqcVR0uP0BRYg".parse().unwrap();
        assert_eq!(id.to_string(), "PyqcHntNTgqcVR0uP0BRYg");
        assert!("short".parse::<Uuid>().is_err());
        assert!("AAAAAAAAAAAAAAAAAAAAA+".parse::<Uuid>().is_err());
        assert!("AAAAAAAAAAAAAAAAAAAAAB".parse::<Uuid>().is_err()); // non-zero padding bits
    }
}
