use std::fmt;
use std::net::IpAddr;

/// Why the server closed a connection right after accepting it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionRefused {
    /// `max.connections` connections are open already.
    MaxConnections { max: u32 },
    /// `max.connections.per.ip` connections from this address are open already.
    MaxConnectionsPerIp { ip: IpAddr, max: u32 },
    /// The peer's address could not be read (the socket is already gone).
    NoPeerAddress { reason: String },
}

impl fmt::Display for ConnectionRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionRefused::MaxConnections { max } => {
                write!(f, "{max} connections are open (max.connections)")
            }
            ConnectionRefused::MaxConnectionsPerIp { ip, max } => write!(
                f,
                "{max} connections from {ip} are open (max.connections.per.ip)"
            ),
            ConnectionRefused::NoPeerAddress { reason } => {
                write!(f, "cannot read the peer's address: {reason}")
            }
        }
    }
}

impl std::error::Error for ConnectionRefused {}
