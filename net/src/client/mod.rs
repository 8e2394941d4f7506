//! glommio client: one connection to one peer voter, used by the core to send its RPCs.
//!
//! Like Java's raft client: on each new connection the first request is ApiVersions, and every
//! later request uses, per API, the highest version both sides list; one request is in flight at
//! a time (`send` takes `&mut self`); a request that gets no answer within the request timeout
//! fails and the connection is closed; a failed connection attempt puts the peer into an
//! exponential reconnect backoff during which `send` fails at once with `Disconnected`, so the
//! core's own timers decide when to retry.
//!
//! A host name stands for all its addresses (Kafka's `client.dns.lookup=use_all_dns_ips`, see
//! [`crate::addr`]): each connection attempt takes the next address of the list, moving on at
//! once when one refuses; the name is resolved again once every address failed or after an
//! established connection is lost.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use futures_lite::{AsyncReadExt, AsyncWriteExt, FutureExt};
use glommio::net::TcpStream;
use kafka_protocol::messages::ApiVersionsRequest;
use kafka_protocol::protocol::StrBytes;
use kraft_message::{Request, Response};

use crate::addr::{split_host_port, HostResolver};
use crate::codec::header::{decode_response_header, RequestHeader};
use crate::codec::response::ERROR_UNSUPPORTED_VERSION;
use crate::codec::versions::{supported_range, API_KEY_API_VERSIONS};
use crate::codec::{
    decode_response, encode_request_frame, FrameDecoder, KafkaRequest, KafkaResponse,
    DEFAULT_MAX_FRAME_SIZE_BYTES, SUPPORTED_APIS,
};
use crate::convert;
use crate::error::ClientError;

const READ_CHUNK_BYTES: usize = 64 * 1024;

/// Settings of a connection to one peer.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// `host:port` of the peer's listener (an IPv6 host in brackets).
    pub peer_address: String,
    /// Gives every address of the peer's host (the system resolver unless a test replaces it).
    pub resolver: HostResolver,
    /// Request header client id; Java uses `raft-client-<nodeId>`.
    pub client_id: String,
    /// Kafka's `controller.quorum.request.timeout.ms` (default 2000).
    pub request_timeout_ms: u64,
    /// Time allowed for the TCP connect.
    pub connect_timeout_ms: u64,
    /// First reconnect backoff (Kafka's `reconnect.backoff.ms`, default 50) ...
    pub reconnect_backoff_ms: u64,
    /// ... doubling up to this (`reconnect.backoff.max.ms`, default 1000).
    pub reconnect_backoff_max_ms: u64,
    /// Largest response frame accepted.
    pub max_frame_size_bytes: usize,
}

impl ClientConfig {
    pub fn new(peer_address: impl Into<String>, client_id: impl Into<String>) -> Self {
        ClientConfig {
            peer_address: peer_address.into(),
            resolver: HostResolver::system(),
            client_id: client_id.into(),
            request_timeout_ms: 2000,
            connect_timeout_ms: 2000,
            reconnect_backoff_ms: 50,
            reconnect_backoff_max_ms: 1000,
            max_frame_size_bytes: DEFAULT_MAX_FRAME_SIZE_BYTES,
        }
    }
}

struct Connection {
    stream: TcpStream,
    buf: BytesMut,
    decoder: FrameDecoder,
    /// Highest version both sides support, per api key.
    versions: HashMap<i16, i16>,
}

impl Connection {
    async fn write_frame(&mut self, frame: &[u8]) -> Result<(), ClientError> {
        self.stream.write_all(frame).await.map_err(disconnected)
    }

    async fn read_frame(&mut self) -> Result<Bytes, ClientError> {
        // Bounded: each pass either returns a frame or reads at least one byte.
        loop {
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(frame)) => return Ok(frame),
                Ok(None) => {}
                Err(e) => {
                    return Err(ClientError::BadResponse {
                        reason: e.to_string(),
                    })
                }
            }
            let filled = self.buf.len();
            self.buf.resize(filled + READ_CHUNK_BYTES, 0);
            let n = self
                .stream
                .read(&mut self.buf[filled..])
                .await
                .map_err(disconnected)?;
            self.buf.truncate(filled + n);
            if n == 0 {
                return Err(ClientError::Disconnected {
                    reason: "peer closed the connection".into(),
                });
            }
        }
    }
}

fn disconnected(e: impl std::fmt::Display) -> ClientError {
    ClientError::Disconnected {
        reason: e.to_string(),
    }
}

/// A connection to one peer. Not thread-safe; lives on one executor.
pub struct PeerClient {
    config: ClientConfig,
    connection: Option<Connection>,
    next_correlation_id: i32,
    /// No connection attempt before this instant.
    backoff_until: Option<Instant>,
    /// Backoff to apply after the next failed attempt.
    next_backoff_ms: u64,
    /// The peer's addresses from the last resolution; empty = resolve before the next attempt.
    addresses: Vec<SocketAddr>,
    /// Index in `addresses` of the next address to try.
    next_address: usize,
}

impl PeerClient {
    pub fn new(config: ClientConfig) -> Self {
        let next_backoff_ms = config.reconnect_backoff_ms;
        PeerClient {
            config,
            connection: None,
            next_correlation_id: 0,
            backoff_until: None,
            next_backoff_ms,
            addresses: Vec::new(),
            next_address: 0,
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub fn is_connected(&self) -> bool {
        self.connection.is_some()
    }

    /// The version negotiated for `api_key` on the current connection.
    pub fn negotiated_version(&self, api_key: i16) -> Option<i16> {
        self.connection.as_ref()?.versions.get(&api_key).copied()
    }

    /// Closes the connection (the next `send` reconnects).
    pub fn disconnect(&mut self) {
        self.connection = None;
    }

    /// Sends `request` and waits for its response, connecting first if needed.
    pub async fn send(&mut self, request: &Request) -> Result<Response, ClientError> {
        let timeout_ms = self.config.request_timeout_ms;
        let result = self
            .send_inner(request)
            .or(async {
                glommio::timer::sleep(Duration::from_millis(timeout_ms)).await;
                Err(ClientError::Timeout { timeout_ms })
            })
            .await;
        match &result {
            // The connection's state is unknown (a late response may still arrive): drop it.
            Err(ClientError::Timeout { .. })
            | Err(ClientError::Disconnected { .. })
            | Err(ClientError::BadResponse { .. }) => self.connection = None,
            Err(ClientError::UnsupportedVersion { .. })
            | Err(ClientError::Encode { .. })
            | Ok(_) => {}
        }
        result
    }

    fn correlation_id(&mut self) -> i32 {
        let id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1).max(0);
        id
    }

    async fn send_inner(&mut self, request: &Request) -> Result<Response, ClientError> {
        if self.connection.is_none() {
            self.connect().await?;
        }
        let api_key = request.kind().api_key();
        let version = self
            .negotiated_version(api_key)
            .ok_or(ClientError::UnsupportedVersion { api_key })?;
        let body = convert::request_to_kafka(request, version);
        let response = self.round_trip(api_key, version, &body).await?;
        convert::response_from_kafka(response, version).map_err(|e| ClientError::BadResponse {
            reason: e.to_string(),
        })
    }

    /// Writes one request and reads its response on the current connection.
    async fn round_trip(
        &mut self,
        api_key: i16,
        api_version: i16,
        body: &KafkaRequest,
    ) -> Result<KafkaResponse, ClientError> {
        let (frame, correlation_id) = self.request_frame(api_key, api_version, body)?;
        let connection = self
            .connection
            .as_mut()
            .ok_or_else(|| disconnected("not connected"))?;
        connection.write_frame(&frame).await?;
        let frame = connection.read_frame().await?;
        let (received, response) =
            decode_response(frame, api_key, api_version).map_err(|e| ClientError::BadResponse {
                reason: e.to_string(),
            })?;
        check_correlation(correlation_id, received)?;
        Ok(response)
    }

    /// The request's frame and the correlation id it carries.
    fn request_frame(
        &mut self,
        api_key: i16,
        api_version: i16,
        body: &KafkaRequest,
    ) -> Result<(BytesMut, i32), ClientError> {
        let correlation_id = self.correlation_id();
        let header = RequestHeader {
            api_key,
            api_version,
            correlation_id,
            client_id: Some(self.config.client_id.clone()),
        };
        let frame = encode_request_frame(&header, body).map_err(|e| ClientError::Encode {
            reason: e.to_string(),
        })?;
        Ok((frame, correlation_id))
    }

    async fn connect(&mut self) -> Result<(), ClientError> {
        if let Some(until) = self.backoff_until {
            let now = Instant::now();
            if now < until {
                return Err(ClientError::Disconnected {
                    reason: format!(
                        "reconnect backoff to {} for another {} ms",
                        self.config.peer_address,
                        (until - now).as_millis()
                    ),
                });
            }
        }
        match self.open_connection().await {
            Ok(connection) => {
                self.connection = Some(connection);
                self.backoff_until = None;
                self.next_backoff_ms = self.config.reconnect_backoff_ms;
                Ok(())
            }
            Err(e) => {
                self.backoff_until =
                    Some(Instant::now() + Duration::from_millis(self.next_backoff_ms));
                self.next_backoff_ms = (self.next_backoff_ms.saturating_mul(2))
                    .min(self.config.reconnect_backoff_max_ms)
                    .max(1);
                Err(e)
            }
        }
    }

    /// The address for the next connection attempt, resolving the host when the list is empty
    /// or used up. Advances before the attempt, so an attempt cut off by the request timeout
    /// (an address that never answers) still moves the next one on.
    fn next_address(&mut self) -> Result<(SocketAddr, bool), ClientError> {
        if self.next_address >= self.addresses.len() {
            let (host, port) = split_host_port(&self.config.peer_address).map_err(disconnected)?;
            let addresses = self.config.resolver.resolve(host, port).map_err(|e| {
                disconnected(format!("cannot resolve {}: {e}", self.config.peer_address))
            })?;
            self.addresses = addresses;
            self.next_address = 0;
        }
        let address = self.addresses[self.next_address];
        self.next_address += 1;
        Ok((address, self.next_address == self.addresses.len()))
    }

    /// Connects to the first address of the list that accepts, in turn; fails once each address
    /// of the current list has failed (the next attempt resolves the host again).
    async fn connect_any(&mut self) -> Result<TcpStream, ClientError> {
        let connect_timeout = Duration::from_millis(self.config.connect_timeout_ms.max(1));
        let mut failures: Vec<String> = Vec::new();
        // Bounded: `next_address` reports the last address of the list, and the list is finite.
        loop {
            let (address, last) = self.next_address()?;
            match TcpStream::connect_timeout(address, connect_timeout).await {
                Ok(stream) => {
                    // As Java after a connection is lost: resolve again next time.
                    self.addresses.clear();
                    self.next_address = 0;
                    return Ok(stream);
                }
                Err(e) => failures.push(format!("{address}: {e}")),
            }
            if last {
                return Err(disconnected(format!(
                    "cannot connect to {} ({})",
                    self.config.peer_address,
                    failures.join("; ")
                )));
            }
        }
    }

    async fn open_connection(&mut self) -> Result<Connection, ClientError> {
        let stream = self.connect_any().await?;
        let _ = stream.set_nodelay(true);
        let mut connection = Connection {
            stream,
            buf: BytesMut::new(),
            decoder: FrameDecoder::new(self.config.max_frame_size_bytes),
            versions: HashMap::new(),
        };
        let our_max = supported_range(API_KEY_API_VERSIONS).map_or(0, |r| r.max_version);
        let peer_apis = match self.api_versions(&mut connection, our_max).await? {
            ApiVersionsOutcome::Apis(apis) => apis,
            // KIP-511: the peer does not know our version and listed its own range; retry once
            // at the highest version both know.
            ApiVersionsOutcome::Retry(peer_max) => {
                match self
                    .api_versions(&mut connection, peer_max.min(our_max))
                    .await?
                {
                    ApiVersionsOutcome::Apis(apis) => apis,
                    ApiVersionsOutcome::Retry(_) => {
                        return Err(ClientError::UnsupportedVersion {
                            api_key: API_KEY_API_VERSIONS,
                        })
                    }
                }
            }
        };
        connection.versions = negotiate(&peer_apis);
        Ok(connection)
    }

    async fn api_versions(
        &mut self,
        connection: &mut Connection,
        version: i16,
    ) -> Result<ApiVersionsOutcome, ClientError> {
        let mut request = ApiVersionsRequest::default();
        request.client_software_name =
            StrBytes::from_static_str(convert::api_versions::CLIENT_SOFTWARE_NAME);
        request.client_software_version =
            StrBytes::from_static_str(convert::api_versions::CLIENT_SOFTWARE_VERSION);
        let (frame, correlation_id) = self.request_frame(
            API_KEY_API_VERSIONS,
            version,
            &KafkaRequest::ApiVersions(request),
        )?;
        connection.write_frame(&frame).await?;
        let frame = connection.read_frame().await?;
        let bad = |e: crate::error::DecodeError| ClientError::BadResponse {
            reason: e.to_string(),
        };
        // The error code leads the body in every version; UNSUPPORTED_VERSION means the body is
        // in v0 layout whatever we asked for.
        let (received, body) =
            decode_response_header(&frame, API_KEY_API_VERSIONS, version).map_err(bad)?;
        check_correlation(correlation_id, received)?;
        let error_code = if body.len() >= 2 {
            (&body[..2]).get_i16()
        } else {
            0
        };
        let decode_version = if error_code == ERROR_UNSUPPORTED_VERSION {
            0
        } else {
            version
        };
        let (_, response) =
            decode_response(frame, API_KEY_API_VERSIONS, decode_version).map_err(bad)?;
        let KafkaResponse::ApiVersions(response) = response else {
            return Err(bad(crate::error::DecodeError::UnknownApiKey {
                api_key: API_KEY_API_VERSIONS,
            }));
        };
        let apis: Vec<(i16, i16, i16)> = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect();
        if error_code == ERROR_UNSUPPORTED_VERSION {
            let peer_max = apis
                .iter()
                .find(|(key, _, _)| *key == API_KEY_API_VERSIONS)
                .map(|&(_, _, max)| max)
                .filter(|&max| max >= 0 && max < version)
                .ok_or(ClientError::UnsupportedVersion {
                    api_key: API_KEY_API_VERSIONS,
                })?;
            return Ok(ApiVersionsOutcome::Retry(peer_max));
        }
        if error_code != 0 {
            return Err(ClientError::BadResponse {
                reason: format!("ApiVersions failed with error code {error_code}"),
            });
        }
        Ok(ApiVersionsOutcome::Apis(apis))
    }
}

enum ApiVersionsOutcome {
    /// (api key, min version, max version) the peer serves.
    Apis(Vec<(i16, i16, i16)>),
    /// The peer's highest ApiVersions version, lower than the one we sent.
    Retry(i16),
}

fn check_correlation(expected: i32, received: i32) -> Result<(), ClientError> {
    if expected == received {
        Ok(())
    } else {
        Err(ClientError::BadResponse {
            reason: format!("correlation id {received} does not match request {expected}"),
        })
    }
}

/// Per api, the highest version in both our range and the peer's.
pub fn negotiate(peer_apis: &[(i16, i16, i16)]) -> HashMap<i16, i16> {
    let mut versions = HashMap::new();
    for ours in SUPPORTED_APIS {
        if let Some(&(_, min, max)) = peer_apis.iter().find(|(key, _, _)| *key == ours.api_key) {
            let high = max.min(ours.max_version);
            if high >= min.max(ours.min_version) {
                versions.insert(ours.api_key, high);
            }
        }
    }
    versions
}

#[cfg(test)]
mod tests {
    use super::negotiate;

    #[test]
    fn negotiation_picks_highest_common_version() {
        let peer = [(1, 4, 17), (52, 0, 1), (55, 3, 5), (18, 0, 4)];
        let versions = negotiate(&peer);
        assert_eq!(versions.get(&1), Some(&17));
        assert_eq!(versions.get(&52), Some(&1));
        assert_eq!(versions.get(&55), None);
        assert_eq!(versions.get(&18), Some(&4));
        assert_eq!(versions.get(&53), None);
    }
}
