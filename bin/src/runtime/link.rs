//! One-way message links between the server's roles.
//!
//! Each role runs on an executor; roles placed on the same CPU share one. A link between roles on
//! different executors is a glommio shared channel (lock-free SPSC ring plus eventfd wake-up);
//! between roles on the same executor it is a local channel (no atomics, no wake-up syscall). The
//! roles see the same `Tx`/`Rx` either way, so placement never changes their code.

use futures_lite::future;
use glommio::channels::local_channel::{self, LocalReceiver, LocalSender};
use glommio::channels::shared_channel::{
    self, ConnectedReceiver, ConnectedSender, SharedReceiver, SharedSender,
};

/// Sending end, usable only on the executor that opened it.
pub enum Tx<T: Send + 'static> {
    Local(LocalSender<T>),
    Shared(ConnectedSender<T>),
}

/// Receiving end, usable only on the executor that opened it. Always a local channel: a shared
/// link's receiver is drained by a forwarding task instead (see [`LinkHalf::open`]), because a
/// glommio shared-channel `recv` future that is dropped before completing leaves its waker behind
/// (the reactor keeps a list per channel): selecting on it with a timer in a loop would pile up
/// wakers until the task's reference count overflows.
pub struct Rx<T: Send + 'static>(LocalReceiver<T>);

/// The peer role has stopped; its link is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkClosed;

impl<T: Send + 'static> Tx<T> {
    /// Waits while the link is full: that is the backpressure between roles.
    pub async fn send(&self, item: T) -> Result<(), LinkClosed> {
        match self {
            Tx::Local(tx) => tx.send(item).await.map_err(|_| LinkClosed),
            Tx::Shared(tx) => tx.send(item).await.map_err(|_| LinkClosed),
        }
    }
}

impl<T: Send + 'static> Rx<T> {
    /// The next message; `None` once every sender is gone.
    pub async fn recv(&self) -> Option<T> {
        self.0.recv().await
    }

    /// A message if one is queued now, without waiting (to batch work, e.g. group commit).
    pub fn try_recv(&self) -> Option<T> {
        future::block_on(future::poll_once(self.recv())).flatten()
    }
}

/// The part of a link one executor holds before it starts: created on the main thread, moved into
/// the executor's thread, opened there.
pub struct LinkHalf<T: Send + 'static> {
    sender: Option<SharedSender<T>>,
    receiver: Option<SharedReceiver<T>>,
    /// Both ends are on this executor: a local channel is made when opened.
    local: bool,
    capacity: usize,
}

impl<T: Send + 'static> LinkHalf<T> {
    fn none(capacity: usize) -> Self {
        LinkHalf {
            sender: None,
            receiver: None,
            local: false,
            capacity,
        }
    }

    /// Connects this executor's ends. Shared ends wait for their peer executor to connect too.
    pub async fn open(self) -> (Option<Tx<T>>, Option<Rx<T>>) {
        if self.local {
            let (tx, rx) = local_channel::new_bounded(self.capacity);
            return (Some(Tx::Local(tx)), Some(Rx(rx)));
        }
        let tx = match self.sender {
            Some(sender) => Some(Tx::Shared(sender.connect().await)),
            None => None,
        };
        let rx = match self.receiver {
            Some(receiver) => {
                let shared = receiver.connect().await;
                let (local_tx, local_rx) = local_channel::new_bounded(self.capacity);
                glommio::spawn_local(forward(shared, local_tx)).detach();
                Some(Rx(local_rx))
            }
            None => None,
        };
        (tx, rx)
    }
}

/// Moves messages from a shared channel into a local one; ends when either side is gone.
async fn forward<T: Send + 'static>(from: ConnectedReceiver<T>, to: LocalSender<T>) {
    while let Some(item) = from.recv().await {
        if to.send(item).await.is_err() {
            break;
        }
    }
}

/// Plans a link from the executor `from` to the executor `to` among `executors`, returning each
/// executor's half (index = executor).
pub fn plan<T: Send + 'static>(
    from: usize,
    to: usize,
    executors: usize,
    capacity: usize,
) -> Vec<LinkHalf<T>> {
    assert!(
        from < executors && to < executors,
        "executor index out of range"
    );
    assert!(capacity > 0, "links are bounded");
    let mut halves: Vec<LinkHalf<T>> = (0..executors).map(|_| LinkHalf::none(capacity)).collect();
    if from == to {
        halves[from].local = true;
    } else {
        let (sender, receiver) = shared_channel::new_bounded(capacity);
        halves[from].sender = Some(sender);
        halves[to].receiver = Some(receiver);
    }
    halves
}
