//! The link tests of `links`, with the Raft side and the role on two executors: the links are
//! glommio shared channels (one slot each) drained by forwarding tasks, as between roles placed
//! on different CPUs.

use super::links::{
    net_config, open_log, raft_flushes_and_truncates, raft_sends_requests, CAPACITY,
};
use super::within_watchdog;
use crate::runtime::link::{self, Rx, Tx};
use crate::runtime::messages::{LogCommand, LogEvent, NetCommand, NetEvent};
use crate::runtime::{log_role, net_role};
use std::future::Future;

/// Runs `role` on one executor and `raft` on another, linked by shared channels; returns the
/// Raft side's result. A stuck Raft side fails by its watchdog; the role's executor is joined
/// only after a success (a role stuck for good would never be joined).
fn across_executors<C, E, RoleFut, RaftFut>(
    role: impl FnOnce(Rx<C>, Tx<E>) -> RoleFut + Send + 'static,
    raft: impl FnOnce(Tx<C>, Rx<E>) -> RaftFut + Send + 'static,
) -> Result<(), String>
where
    C: Send + 'static,
    E: Send + 'static,
    RoleFut: Future<Output = ()> + 'static,
    RaftFut: Future<Output = Result<(), String>> + 'static,
{
    let (raft_ix, role_ix) = (0, 1);
    let mut commands = link::plan::<C>(raft_ix, role_ix, 2, CAPACITY);
    let mut events = link::plan::<E>(role_ix, raft_ix, 2, CAPACITY);
    let (role_commands, raft_commands) = (commands.pop().unwrap(), commands.pop().unwrap());
    let (role_events, raft_events) = (events.pop().unwrap(), events.pop().unwrap());
    let spawn =
        |name: &str| glommio::LocalExecutorBuilder::new(glommio::Placement::Unbound).name(name);
    // Both executors open the links in the same order, so neither waits on the other's second.
    let role_executor = spawn("links-role")
        .spawn(move || async move {
            let (_, rx) = role_commands.open().await;
            let (tx, _) = role_events.open().await;
            role(rx.unwrap(), tx.unwrap()).await
        })
        .unwrap();
    let raft_executor = spawn("links-raft")
        .spawn(move || async move {
            let ((tx, _), (_, rx)) = within_watchdog("connecting the links", async {
                (raft_commands.open().await, raft_events.open().await)
            })
            .await?;
            raft(tx.unwrap(), rx.unwrap()).await
        })
        .unwrap();
    raft_executor
        .join()
        .expect("the Raft side does not panic")?;
    // The Raft side saw the role stop: its executor ends at once.
    role_executor.join().expect("the role does not panic");
    Ok(())
}

#[test]
fn network_role_on_another_executor_takes_commands_while_the_raft_loop_reads_no_events() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    let net = net_role::NetParts::new(
        &net_config(dir.path()),
        log.reader(),
        dir.path().to_path_buf(),
    );
    let role = move |commands: Rx<NetCommand>, events: Tx<NetEvent>| net.run(commands, events);
    across_executors(role, raft_sends_requests).unwrap();
    drop(log);
}

#[test]
fn log_role_on_another_executor_takes_commands_while_the_raft_loop_reads_no_events() {
    let dir = tempfile::tempdir().unwrap();
    let log = open_log(dir.path());
    let snapshots = crate::runtime::log_snapshots::LogSnapshots::none(dir.path().to_path_buf());
    let role = move |commands: Rx<LogCommand>, events: Tx<LogEvent>| {
        log_role::run(log, snapshots, commands, events)
    };
    across_executors(role, raft_flushes_and_truncates).unwrap();
}
