//! Request header v1/v2 and response header v0/v1, written by hand: the header must be read
//! before the api key is known to be one we serve, and reading it must never panic.
//!
//! Request header v1: `ApiKey int16, ApiVersion int16, CorrelationId int32, ClientId` (int16
//! length nullable string); v2 appends tagged fields. ClientId keeps its int16 length in v2.
//! Response header v0: `CorrelationId int32`; v1 appends tagged fields.

use bytes::{BufMut, Bytes};

use super::reader::Reader;
use super::versions::{request_header_version, response_header_version};
use crate::error::DecodeError;

/// Bytes of api key, api version and correlation id: the part every header version shares.
pub const REQUEST_HEADER_FIXED_BYTES: usize = 8;

/// A decoded request header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHeader {
    pub api_key: i16,
    pub api_version: i16,
    pub correlation_id: i32,
    /// `None` = null on the wire.
    pub client_id: Option<String>,
}

/// The fixed start of a request header, readable for any api key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderPrefix {
    pub api_key: i16,
    pub api_version: i16,
    pub correlation_id: i32,
}

/// Reads api key, api version and correlation id; `None` if the frame is shorter than that.
pub fn read_header_prefix(frame: &[u8]) -> Option<HeaderPrefix> {
    let mut r = Reader::new(frame);
    Some(HeaderPrefix {
        api_key: r.i16("api_key").ok()?,
        api_version: r.i16("api_version").ok()?,
        correlation_id: r.i32("correlation_id").ok()?,
    })
}

/// Skips a tagged-field section (none are defined for headers we read; unknown tags are skipped
/// as the protocol requires).
pub(crate) fn skip_tagged_fields(
    r: &mut Reader<'_>,
    field: &'static str,
) -> Result<(), DecodeError> {
    let count = r.uvarint(field)? as usize;
    // Each tagged field takes at least two bytes (tag, size): a larger count cannot be valid.
    if count > r.remaining() {
        return Err(DecodeError::Invalid {
            field,
            reason: format!("{count} tagged fields in {} bytes", r.remaining()),
        });
    }
    for _ in 0..count {
        r.uvarint(field)?;
        let size = r.uvarint(field)? as usize;
        r.skip(size, field)?;
    }
    Ok(())
}

/// Decodes the request header at the start of `frame` for an api this node knows; returns the
/// header and the number of bytes it took.
pub fn decode_request_header(frame: &[u8]) -> Result<(RequestHeader, usize), DecodeError> {
    let mut r = Reader::new(frame);
    let api_key = r.i16("api_key")?;
    let api_version = r.i16("api_version")?;
    let correlation_id = r.i32("correlation_id")?;
    let header_version = request_header_version(api_key, api_version)
        .ok_or(DecodeError::UnknownApiKey { api_key })?;
    let client_id = match r.i16("client_id")? {
        -1 => None,
        len if len >= 0 => {
            let raw = r.bytes(len as usize, "client_id")?;
            let s = std::str::from_utf8(raw).map_err(|e| DecodeError::Invalid {
                field: "client_id",
                reason: e.to_string(),
            })?;
            Some(s.to_owned())
        }
        len => {
            return Err(DecodeError::Invalid {
                field: "client_id",
                reason: format!("negative length {len}"),
            })
        }
    };
    if header_version >= 2 {
        skip_tagged_fields(&mut r, "request_header_tagged_fields")?;
    }
    Ok((
        RequestHeader {
            api_key,
            api_version,
            correlation_id,
            client_id,
        },
        r.position(),
    ))
}

/// Appends a request header (v1 or v2 as the api version requires).
pub fn encode_request_header(buf: &mut impl BufMut, header: &RequestHeader) -> Result<(), String> {
    let header_version = request_header_version(header.api_key, header.api_version)
        .ok_or_else(|| format!("unknown api key {}", header.api_key))?;
    buf.put_i16(header.api_key);
    buf.put_i16(header.api_version);
    buf.put_i32(header.correlation_id);
    match &header.client_id {
        None => buf.put_i16(-1),
        Some(id) => {
            let len = i16::try_from(id.len()).map_err(|_| "client id too long".to_string())?;
            buf.put_i16(len);
            buf.put_slice(id.as_bytes());
        }
    }
    if header_version >= 2 {
        buf.put_u8(0);
    }
    Ok(())
}

/// Bytes of the response header for this api and version.
pub fn response_header_size(api_key: i16, api_version: i16) -> usize {
    match response_header_version(api_key, api_version) {
        Some(1) => 5,
        _ => 4,
    }
}

/// Appends a response header (v0, or v1 for flexible versions; ApiVersions always v0).
pub fn encode_response_header(
    buf: &mut impl BufMut,
    api_key: i16,
    api_version: i16,
    correlation_id: i32,
) {
    buf.put_i32(correlation_id);
    if response_header_size(api_key, api_version) == 5 {
        buf.put_u8(0);
    }
}

/// Reads a response header; returns the correlation id and the body.
pub fn decode_response_header(
    frame: &Bytes,
    api_key: i16,
    api_version: i16,
) -> Result<(i32, Bytes), DecodeError> {
    let mut r = Reader::new(frame);
    let correlation_id = r.i32("correlation_id")?;
    if response_header_version(api_key, api_version) == Some(1) {
        skip_tagged_fields(&mut r, "response_header_tagged_fields")?;
    }
    Ok((correlation_id, frame.slice(r.position()..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_header_keeps_int16_client_id_and_skips_unknown_tags() {
        // Vote v1 => header v2.
        let bytes: &[u8] = &[
            0x00, 0x34, // api key 52 (Vote)
            0x00, 0x01, // api version 1
            0x00, 0x00, 0x00, 0x07, // correlation id 7
            0x00, 0x02, b'i', b'd', // client id "id", int16 length even in v2
            0x01, // one tagged field
            0x05, 0x02, 0xaa, 0xbb, // tag 5, size 2, two bytes
            0xff, // first body byte
        ];
        let (header, len) = decode_request_header(bytes).unwrap();
        assert_eq!(
            header,
            RequestHeader {
                api_key: 52,
                api_version: 1,
                correlation_id: 7,
                client_id: Some("id".into())
            }
        );
        assert_eq!(len, bytes.len() - 1);
    }

    #[test]
    fn round_trip_and_rejections() {
        let header = RequestHeader {
            api_key: 1,
            api_version: 11,
            correlation_id: -5,
            client_id: None,
        };
        let mut buf = Vec::new();
        encode_request_header(&mut buf, &header).unwrap();
        assert_eq!(buf, [0, 1, 0, 11, 0xff, 0xff, 0xff, 0xfb, 0xff, 0xff]);
        assert_eq!(decode_request_header(&buf).unwrap(), (header, 10));
        assert_eq!(
            decode_request_header(&[0, 99, 0, 0, 0, 0, 0, 1, 0, 0]),
            Err(DecodeError::UnknownApiKey { api_key: 99 })
        );
        assert!(decode_request_header(&[0, 1, 0, 11, 0, 0, 0, 1, 0xff, 0xfe]).is_err());
        assert!(decode_request_header(&[0, 1, 0, 11, 0, 0, 0, 1, 0, 5, b'a']).is_err());
        assert_eq!(read_header_prefix(&[0, 1, 0, 11, 0, 0, 0]), None);
    }
}
