//! The Raft loop's handling of what the network and log roles report: each event becomes the
//! core's input, and a role that stopped is asked why (its final event).

use super::error::RuntimeError;
use super::messages::{LogEvent, NetEvent};
use super::raft_role::{RaftRole, MAX_EVENTS_AFTER_CLOSE};
use kraft_engine::Input;

impl RaftRole {
    pub(super) fn on_net_event(&mut self, event: NetEvent) -> Result<(), RuntimeError> {
        let now_ms = self.clock.now_ms();
        let input = match event {
            NetEvent::Request {
                request_id,
                request,
            } => Input::Request {
                request_id,
                request,
            },
            NetEvent::Response {
                from,
                correlation_id,
                response,
            } => Input::Response {
                from,
                correlation_id,
                response,
            },
            NetEvent::RequestFailed {
                to,
                correlation_id,
                error,
            } => Input::RequestFailed {
                to,
                correlation_id,
                error,
            },
            NetEvent::ListenerFailed(error) => return Err(RuntimeError::Listener(error)),
        };
        self.node.step(now_ms, input);
        Ok(())
    }

    pub(super) fn on_log_event(&mut self, event: LogEvent) -> Result<(), RuntimeError> {
        match event {
            LogEvent::Flushed {
                flushed_end_offset,
                generation,
            } => {
                self.node.step(
                    self.clock.now_ms(),
                    Input::LogFlushed {
                        flushed_end_offset,
                        generation,
                    },
                );
                Ok(())
            }
            LogEvent::LogStartAdvanced { start_offset } => {
                self.node.step(
                    self.clock.now_ms(),
                    Input::LogStartAdvanced { start_offset },
                );
                Ok(())
            }
            LogEvent::SnapshotLoad {
                snapshot_id,
                generation,
                kraft_control,
            } => {
                let input = match kraft_control {
                    Some(kraft_control) => Input::SnapshotLoaded {
                        snapshot_id,
                        generation,
                        kraft_control,
                    },
                    None => Input::SnapshotLoadFailed {
                        snapshot_id,
                        generation,
                    },
                };
                self.node.step(self.clock.now_ms(), input);
                Ok(())
            }
            LogEvent::Failed(error) => Err(RuntimeError::LogFailed(error)),
            LogEvent::Stopped => Err(RuntimeError::LogStoppedUnexpectedly),
        }
    }

    /// A role closes its command link before it sends its final event, so that a send blocked
    /// on the link wakes up: that event, read here, says why it stopped.
    pub(super) async fn why_net_stopped(&self) -> RuntimeError {
        for _ in 0..MAX_EVENTS_AFTER_CLOSE {
            match self.from_net.recv().await {
                Some(NetEvent::ListenerFailed(error)) => return RuntimeError::Listener(error),
                Some(_) => {}
                None => break,
            }
        }
        RuntimeError::NetworkRoleStopped
    }

    /// As [`Self::why_net_stopped`], for the log role.
    pub(super) async fn why_log_stopped(&self) -> RuntimeError {
        for _ in 0..MAX_EVENTS_AFTER_CLOSE {
            match self.from_log.recv().await {
                Some(LogEvent::Failed(error)) => return RuntimeError::LogFailed(error),
                Some(LogEvent::Stopped) => return RuntimeError::LogStoppedUnexpectedly,
                Some(_) => {}
                None => break,
            }
        }
        RuntimeError::LogRoleStopped
    }
}
