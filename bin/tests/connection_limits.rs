//! Issue 13 on a real `kraft-server` process: `max.connections.per.ip` and
//! `connections.max.idle.ms` from the config file reach the server (net's own tests check each
//! limit in detail; this checks the plumbing from the file to the listener).

mod support;

use kraft_net::probe::{api_versions_v0, ProbeOutcome};
use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::{free_ports, poll, write_config};

/// Bound of every blocking read or write: the server answers or closes within milliseconds.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
const IDLE_MS: u64 = 1500;

fn connect(port: u16) -> Option<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(IO_TIMEOUT)).ok()?;
    Some(stream)
}

/// ApiVersions v0: true when answered, false when the server closed the connection.
fn served(stream: &mut TcpStream) -> bool {
    match api_versions_v0(stream, 3) {
        ProbeOutcome::Served => true,
        ProbeOutcome::Closed => false,
        ProbeOutcome::TimedOut => panic!("neither an answer nor a close within {IO_TIMEOUT:?}"),
    }
}

fn closed(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 16];
    match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(_) => true,
    }
}

#[test]
fn per_ip_cap_and_idle_timeout_from_the_config_file_apply() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports(1)[0];
    let log_dir = dir.path().join("node-0");
    // The node itself holds no connection to its own listener (single voter).
    let extra = format!("max.connections.per.ip=2\nconnections.max.idle.ms={IDLE_MS}");
    let config = write_config(dir.path(), 0, &[(0, port)], &log_dir, &extra);
    let server = support::start(0, &config, &log_dir, &["--throughput", "100"]);

    let mut first = poll(Duration::from_secs(20), || {
        let mut stream = connect(port)?;
        served(&mut stream).then_some(stream)
    })
    .unwrap_or_else(|| panic!("listener never served; stderr:\n{}", server.stderr()));
    let opened = Instant::now();
    let mut second = connect(port).expect("connect");
    assert!(served(&mut second));
    let mut third = connect(port).expect("the kernel accepts the handshake");
    // At once: well before the idle time could close it.
    let at_once = Duration::from_millis(IDLE_MS / 4);
    third.set_read_timeout(Some(at_once)).expect("timeout");
    assert!(
        closed(&mut third),
        "the third connection from 127.0.0.1 is not closed within {at_once:?}"
    );
    // Taken before the requests: the server's last activity (the answers) comes later.
    let last_activity = Instant::now();
    assert!(
        served(&mut first) && served(&mut second),
        "stderr:\n{}",
        server.stderr()
    );

    // Both stay quiet now: closed after the configured idle time, not before.
    assert!(
        opened.elapsed() < Duration::from_millis(IDLE_MS / 2),
        "test too slow"
    );
    assert!(
        closed(&mut first),
        "idle connection still open after {IO_TIMEOUT:?}"
    );
    let waited = last_activity.elapsed();
    assert!(
        waited >= Duration::from_millis(IDLE_MS),
        "closed after {waited:?}"
    );
}
