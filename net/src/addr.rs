//! Host names and listener addresses, resolved the way Kafka's Java code resolves them.
//!
//! - Outbound (Kafka's `ClusterConnectionStates` with `client.dns.lookup=use_all_dns_ips`, the
//!   default since Kafka 2.6): a host name stands for every address it resolves to; a connection
//!   attempt uses the next address of the list, and the name is resolved again once the list is
//!   used up or after an established connection is lost. [`HostResolver`] gives the list.
//! - Listeners (Kafka's `SocketServer` acceptor): an empty host is `new InetSocketAddress(port)`,
//!   the wildcard address (dual-stack `::` where IPv6 exists, else `0.0.0.0`); a named host is
//!   `new InetSocketAddress(host, port)`, i.e. the *first* address Java resolves. See
//!   [`bind_listener`].
//!
//! Address order follows the JVM's default (`java.net.preferIPv6Addresses=false`): IPv4 addresses
//! before IPv6 ones, each family in the resolver's order. So `localhost` resolving to both
//! `127.0.0.1` and `::1` is bound, and dialled first, as `127.0.0.1`, like a Java node does.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::os::unix::io::IntoRawFd;
use std::sync::Arc;

use socket2::{Domain, Protocol, Socket, Type};

/// Kafka's default `socket.listen.backlog.size`.
const LISTEN_BACKLOG: i32 = 50;

type ResolveFn = dyn Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync;

/// Resolves a host name to all its addresses (Kafka's `HostResolver`); replaceable in tests.
#[derive(Clone)]
pub struct HostResolver(Arc<ResolveFn>);

impl HostResolver {
    /// The system resolver (`getaddrinfo`, which reads `/etc/hosts` and DNS).
    pub fn system() -> Self {
        HostResolver(Arc::new(|host: &str, port: u16| {
            Ok((host, port).to_socket_addrs()?.collect())
        }))
    }

    /// A resolver answering with `resolve(host, port)`, e.g. a fixed list in a test.
    pub fn from_fn(
        resolve: impl Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync + 'static,
    ) -> Self {
        HostResolver(Arc::new(resolve))
    }

    /// Every address of `host` in the JVM's order (IPv4 first), without duplicates; an error
    /// when there is none.
    pub fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        let addresses = jvm_order((self.0)(host, port)?);
        if addresses.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{host} resolves to no address"),
            ));
        }
        Ok(addresses)
    }
}

impl Default for HostResolver {
    fn default() -> Self {
        HostResolver::system()
    }
}

impl fmt::Debug for HostResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HostResolver")
    }
}

/// IPv4 addresses first, then IPv6, each in the given order; duplicates dropped.
pub fn jvm_order(addresses: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let mut ordered: Vec<SocketAddr> = Vec::with_capacity(addresses.len());
    let v4 = addresses.iter().filter(|a| a.is_ipv4());
    let v6 = addresses.iter().filter(|a| a.is_ipv6());
    for &address in v4.chain(v6) {
        if !ordered.contains(&address) {
            ordered.push(address);
        }
    }
    ordered
}

/// Splits `host:port`; an IPv6 host is written in brackets (`[::1]:9092`) and returned without
/// them; the host may be empty (`:9092`, a listener on every interface).
pub fn split_host_port(address: &str) -> io::Result<(&str, u16)> {
    let invalid = |reason: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{address}`: {reason} (expected host:port)"),
        )
    };
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| invalid("missing `:port`"))?;
    let port: u16 = port.parse().map_err(|_| invalid("bad port"))?;
    let host = match host.strip_prefix('[') {
        Some(inner) => inner
            .strip_suffix(']')
            .ok_or_else(|| invalid("unclosed `[`"))?,
        None if host.contains(':') => return Err(invalid("IPv6 host without brackets")),
        None => host,
    };
    Ok((host, port))
}

/// `host:port`, with brackets around an IPv6 host: the inverse of [`split_host_port`].
pub fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Binds and listens on `host:port` as Kafka's acceptor does (module doc), with `SO_REUSEADDR`
/// as Java's server sockets have on Linux (not `SO_REUSEPORT`: a second server on a taken port
/// must fail, not share it). Must be called on a glommio executor.
pub fn bind_listener(
    host: &str,
    port: u16,
    resolver: &HostResolver,
) -> io::Result<glommio::net::TcpListener> {
    let socket = if host.is_empty() {
        bind_wildcard(port)?
    } else {
        let first = resolver.resolve(host, port)?[0];
        bind_socket(first, false)?
    };
    socket.listen(LISTEN_BACKLOG)?;
    let fd = socket.into_raw_fd();
    // SAFETY: `fd` is a bound, listening TCP socket whose ownership `into_raw_fd` released; the
    // glommio listener becomes its only owner and closes it.
    Ok(unsafe { <glommio::net::TcpListener as std::os::unix::io::FromRawFd>::from_raw_fd(fd) })
}

/// Java's wildcard: `::` accepting IPv4 too where the host has IPv6, else `0.0.0.0`.
fn bind_wildcard(port: u16) -> io::Result<Socket> {
    let any6 = SocketAddr::from((Ipv6Addr::UNSPECIFIED, port));
    match bind_socket(any6, true) {
        Ok(socket) => Ok(socket),
        // No IPv6 on this host (the socket cannot be made or `::` cannot be bound).
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EAFNOSUPPORT) | Some(libc::EADDRNOTAVAIL) | Some(libc::EPROTONOSUPPORT)
            ) =>
        {
            bind_socket(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)), false)
        }
        Err(e) => Err(e),
    }
}

fn bind_socket(address: SocketAddr, dual_stack: bool) -> io::Result<Socket> {
    let socket = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    if dual_stack {
        socket.set_only_v6(false)?;
    }
    socket.set_reuse_address(true)?;
    socket.bind(&address.into())?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn jvm_order_puts_ipv4_first_and_drops_duplicates() {
        let ordered = jvm_order(vec![
            addr("[::1]:9"),
            addr("127.0.0.1:9"),
            addr("[fe80::1]:9"),
            addr("10.0.0.1:9"),
            addr("127.0.0.1:9"),
        ]);
        assert_eq!(
            ordered,
            vec![
                addr("127.0.0.1:9"),
                addr("10.0.0.1:9"),
                addr("[::1]:9"),
                addr("[fe80::1]:9")
            ]
        );
    }

    #[test]
    fn host_port_round_trips_with_brackets_for_ipv6() {
        assert_eq!(split_host_port("[::1]:9092").unwrap(), ("::1", 9092));
        assert_eq!(split_host_port("localhost:1").unwrap(), ("localhost", 1));
        assert_eq!(split_host_port(":9092").unwrap(), ("", 9092));
        assert!(split_host_port("::1:9092").is_err());
        assert!(split_host_port("[::1:9092").is_err());
        assert!(split_host_port("host").is_err());
        assert!(split_host_port("host:99999").is_err());
        assert_eq!(join_host_port("::1", 9092), "[::1]:9092");
        assert_eq!(join_host_port("a.b", 7), "a.b:7");
    }

    #[test]
    fn resolver_with_no_address_is_an_error() {
        let empty = HostResolver::from_fn(|_, _| Ok(Vec::new()));
        let err = empty.resolve("nowhere", 1).unwrap_err();
        assert!(err.to_string().contains("nowhere"), "{err}");
    }
}
