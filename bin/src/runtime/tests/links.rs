//! No two bounded links wait on each other: the Raft loop awaits its sends to the network and
//! log roles, so those roles must keep taking commands while the Raft loop reads none of their
//! events. Every link here holds one message, so a role that awaits a send to the Raft loop
//! blocks after the first event, and the Raft loop's next send blocks on it: the watchdog fails
//! the test instead of hanging.

use super::{on_executor, within_watchdog};
use crate::runtime::error::{LogRoleError, RuntimeError};
use crate::runtime::link::{self, Rx, Tx};
use crate::runtime::messages::{LogCommand, LogEvent, NetCommand, NetEvent};
use crate::runtime::{log_role, log_snapshots, net_role};
use kraft_config::placement::HostCpus;
use kraft_config::ServerConfig;
use kraft_engine::message::{DescribeQuorumRequest, Request};
use kraft_engine::RequestError;
use kraft_segment_log::{LogConfig, SegmentLog};

/// Commands sent without reading an event: far more than the links and queues hold.
pub(super) const COMMANDS: usize = 1000;
/// Every link of these tests holds one message.
pub(super) const CAPACITY: usize = 1;
/// A node id that is not a voter: the network role fails a request to it at once.
const UNKNOWN_NODE: i32 = 99;

async fn open_local<T: Send + 'static>() -> (Tx<T>, Rx<T>) {
    let mut halves = link::plan::<T>(0, 0, 1, CAPACITY);
    let (tx, rx) = halves.pop().expect("one executor").open().await;
    (tx.expect("local sender"), rx.expect("local receiver"))
}

pub(super) fn open_log(dir: &std::path::Path) -> SegmentLog {
    let (log, _) =
        SegmentLog::open(&dir.join("__cluster_metadata-0"), LogConfig::default()).unwrap();
    log
}

fn describe_quorum() -> Request {
    Request::DescribeQuorum(DescribeQuorumRequest {
        topic_name: "__cluster_metadata".into(),
        partition: 0,
    })
}

pub(super) fn net_config(dir: &std::path::Path) -> ServerConfig {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let text = format!(
        "node.id=1\nlisteners=CONTROLLER://127.0.0.1:{port}\ncontroller.listener.names=CONTROLLER\n\
         controller.quorum.voters=1@127.0.0.1:{port}\nlog.dirs={}\n",
        dir.display()
    );
    ServerConfig::parse_str(&text, "links-test.properties", &HostCpus::with_count(1)).unwrap()
}

/// The Raft loop's side while it executes outputs: it sends requests and reads no event
/// meanwhile. Each request fails at once (no such voter), so each makes an event for it.
pub(super) async fn raft_sends_requests(
    commands: Tx<NetCommand>,
    events: Rx<NetEvent>,
) -> Result<(), String> {
    within_watchdog("sending requests while reading no event", async {
        for correlation_id in 1..=COMMANDS as u64 {
            let request = describe_quorum();
            let to = UNKNOWN_NODE;
            commands
                .send(NetCommand::Send {
                    to,
                    correlation_id,
                    request,
                })
                .await
                .expect("network role runs");
        }
        commands
            .send(NetCommand::Stop)
            .await
            .expect("network role runs");
    })
    .await?;
    // The failures that fit the queue are reported, each for the unknown node; the link closes
    // when the role and its tasks are gone.
    let failures = within_watchdog("reading the failures", async {
        let mut failures = 0;
        for _ in 0..COMMANDS + 1 {
            match events.recv().await {
                Some(NetEvent::RequestFailed { to, error, .. }) => {
                    assert_eq!((to, error), (UNKNOWN_NODE, RequestError::Disconnected));
                    failures += 1;
                }
                Some(other) => panic!("unexpected event {other:?}"),
                None => break,
            }
        }
        failures
    })
    .await?;
    assert!(failures >= 1, "no failure reported");
    Ok(())
}

/// The Raft loop's side of the log: it sends commands and reads no event meanwhile. A
/// truncation first waits for the flush in flight, which then reports the durable end: each
/// Flush + Truncate pair makes one Flushed event, deterministically.
pub(super) async fn raft_flushes_and_truncates(
    commands: Tx<LogCommand>,
    events: Rx<LogEvent>,
) -> Result<(), String> {
    within_watchdog("flushing and truncating while reading no event", async {
        for generation in 0..COMMANDS as u64 {
            commands
                .send(LogCommand::Flush { generation })
                .await
                .expect("log role runs");
            let truncate = LogCommand::Truncate {
                to_offset: 0,
                generation: generation + 1,
            };
            commands.send(truncate).await.expect("log role runs");
        }
        commands
            .send(LogCommand::Stop)
            .await
            .expect("log role runs");
    })
    .await?;
    within_watchdog("stopping the log role", async {
        // Bounded: the role ends after answering Stop.
        for _ in 0..COMMANDS * 2 {
            match events.recv().await {
                Some(LogEvent::Flushed {
                    flushed_end_offset, ..
                }) => {
                    assert_eq!(flushed_end_offset, 0)
                }
                Some(LogEvent::Stopped) => return,
                other => panic!("unexpected event {other:?}"),
            }
        }
        panic!("no Stopped after {} events", COMMANDS * 2);
    })
    .await
}

#[test]
fn network_role_takes_commands_while_the_raft_loop_reads_no_events() {
    let result = on_executor(|| async {
        let dir = tempfile::tempdir().unwrap();
        let log = open_log(dir.path());
        let net = net_role::NetParts::new(
            &net_config(dir.path()),
            log.reader(),
            dir.path().to_path_buf(),
        );
        let (commands_tx, commands_rx) = open_local::<NetCommand>().await;
        let (events_tx, events_rx) = open_local::<NetEvent>().await;
        let role = glommio::spawn_local(net.run(commands_rx, events_tx));
        raft_sends_requests(commands_tx, events_rx).await?;
        within_watchdog("the network role's end", role).await
    });
    result.unwrap();
}

#[test]
fn log_role_takes_commands_while_the_raft_loop_reads_no_events() {
    let result = on_executor(|| async {
        let dir = tempfile::tempdir().unwrap();
        let log = open_log(dir.path());
        let (commands_tx, commands_rx) = open_local::<LogCommand>().await;
        let (events_tx, events_rx) = open_local::<LogEvent>().await;
        let role = glommio::spawn_local(log_role::run(
            log,
            log_snapshots::LogSnapshots::none(dir.path().to_path_buf()),
            commands_rx,
            events_tx,
        ));
        raft_flushes_and_truncates(commands_tx, events_rx).await?;
        within_watchdog("the log role's end", role).await
    });
    result.unwrap();
}

#[test]
fn failed_log_role_closes_its_command_link_then_says_why() {
    let result = on_executor(|| async {
        let dir = tempfile::tempdir().unwrap();
        let log = open_log(dir.path());
        let (commands_tx, commands_rx) = open_local::<LogCommand>().await;
        let (events_tx, events_rx) = open_local::<LogEvent>().await;
        let role = glommio::spawn_local(log_role::run(
            log,
            log_snapshots::LogSnapshots::none(dir.path().to_path_buf()),
            commands_rx,
            events_tx,
        ));
        // One Flushed event fills the event link: the role's last event has to wait for the
        // Raft loop, which is blocked on the command link unless the role closed it first.
        commands_tx
            .send(LogCommand::Flush { generation: 0 })
            .await
            .expect("log role runs");
        let truncate = LogCommand::Truncate {
            to_offset: 0,
            generation: 1,
        };
        commands_tx.send(truncate).await.expect("log role runs");
        // Not a batch, and not at the log end offset (0): the log refuses it.
        let bytes = bytes::Bytes::from_static(b"not a record batch");
        let append = LogCommand::Append {
            base_offset: 5,
            bytes,
        };
        commands_tx.send(append).await.expect("log role runs");
        // The Raft loop keeps sending, reading no event: its send fails once the role is gone.
        let closed = within_watchdog("sending to a failed log role", async {
            for _ in 0..COMMANDS {
                let flush = LogCommand::Flush { generation: 1 };
                if commands_tx.send(flush).await.is_err() {
                    return true;
                }
            }
            false
        })
        .await?;
        assert!(closed, "the failed log role still takes commands");
        let last = within_watchdog("the log role's last event", async {
            // Bounded: the role ends after its last event.
            for _ in 0..COMMANDS {
                match events_rx.recv().await {
                    Some(LogEvent::Flushed { .. }) => {}
                    other => return other,
                }
            }
            None
        });
        match last.await? {
            Some(LogEvent::Failed(error @ LogRoleError::Append { base_offset: 5, .. })) => {
                let message = RuntimeError::LogFailed(error).to_string();
                assert!(
                    message.starts_with("segment log failed: append of batch at offset 5 failed: "),
                    "{message}"
                );
            }
            other => panic!("expected the append failure, got {other:?}"),
        }
        within_watchdog("the log role's end", role).await
    });
    result.unwrap();
}
