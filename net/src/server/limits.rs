//! Connection limits of one server: Kafka's `max.connections` and `max.connections.per.ip`
//! (counted when a connection is accepted, released when its tasks end) and
//! `connections.max.idle.ms` (a connection that moved no byte for that long is closed).
//!
//! Kafka closes a connection over the per-IP limit at once (`TooManyConnectionsException`), but
//! over `max.connections` its acceptor stops accepting until a slot frees, leaving new
//! connections in the listen backlog. We close both at once: the peer learns it immediately and
//! retries after its backoff, and the accept loop never stalls.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::net::IpAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::error::ConnectionRefused;

/// Open connections, in all and per IP address.
pub(super) struct ConnectionQuotas {
    max_connections: u32,
    max_connections_per_ip: u32,
    open: Cell<u32>,
    /// Only addresses with open connections (an entry goes when its count reaches 0), so the
    /// map never holds more entries than there are open connections.
    per_ip: RefCell<HashMap<IpAddr, u32>>,
}

/// One admitted connection's share of the quotas; given back when dropped.
pub(super) struct Slot {
    quotas: Rc<ConnectionQuotas>,
    ip: IpAddr,
}

impl ConnectionQuotas {
    pub(super) fn new(max_connections: u32, max_connections_per_ip: u32) -> Rc<Self> {
        assert!(max_connections >= 1 && max_connections_per_ip >= 1);
        Rc::new(ConnectionQuotas {
            max_connections,
            max_connections_per_ip,
            open: Cell::new(0),
            per_ip: RefCell::new(HashMap::new()),
        })
    }

    /// Counts a new connection from `ip`, or says which limit it would break.
    pub(super) fn admit(self: &Rc<Self>, ip: IpAddr) -> Result<Slot, ConnectionRefused> {
        if self.open.get() >= self.max_connections {
            return Err(ConnectionRefused::MaxConnections {
                max: self.max_connections,
            });
        }
        let mut per_ip = self.per_ip.borrow_mut();
        let from_ip = per_ip.entry(ip).or_insert(0);
        if *from_ip >= self.max_connections_per_ip {
            return Err(ConnectionRefused::MaxConnectionsPerIp {
                ip,
                max: self.max_connections_per_ip,
            });
        }
        *from_ip += 1;
        self.open.set(self.open.get() + 1);
        Ok(Slot {
            quotas: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let quotas = &self.quotas;
        let mut per_ip = quotas.per_ip.borrow_mut();
        let from_ip = per_ip
            .get_mut(&self.ip)
            .expect("an admitted connection's address is counted");
        assert!(*from_ip >= 1 && quotas.open.get() >= 1);
        *from_ip -= 1;
        if *from_ip == 0 {
            per_ip.remove(&self.ip);
        }
        quotas.open.set(quotas.open.get() - 1);
    }
}

/// When a connection last read or wrote a byte (its reader and writer both record it).
pub(super) struct Activity {
    last: Cell<Instant>,
}

impl Activity {
    pub(super) fn new() -> Rc<Self> {
        Rc::new(Activity {
            last: Cell::new(Instant::now()),
        })
    }

    pub(super) fn record(&self) {
        self.last.set(Instant::now());
    }

    /// Completes once no byte moved for `idle_ms`; never with `None`.
    pub(super) async fn idle_for(&self, idle_ms: Option<u64>) {
        let Some(idle_ms) = idle_ms else {
            return std::future::pending().await;
        };
        let idle = Duration::from_millis(idle_ms);
        // Each pass sleeps until the deadline the last activity implies; activity only moves it
        // later, so this ends at most once per activity within the window.
        loop {
            let deadline = self.last.get() + idle;
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            glommio::timer::sleep(deadline - now).await;
        }
    }
}
