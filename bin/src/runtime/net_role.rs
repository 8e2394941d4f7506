//! The network role (being wired to kraft-net's server and client).

use super::link::{Rx, Tx};
use super::messages::{NetCommand, NetEvent};
use kraft_config::ServerConfig;
use kraft_segment_log::LogReader;

pub struct NetParts {
    _log_reader: LogReader,
}

impl NetParts {
    pub fn new(_config: &ServerConfig, log_reader: LogReader) -> Result<NetParts, String> {
        Ok(NetParts {
            _log_reader: log_reader,
        })
    }

    pub async fn run(self, commands: Rx<NetCommand>, _events: Tx<NetEvent>) {
        while let Some(command) = commands.recv().await {
            if let NetCommand::Stop = command {
                break;
            }
        }
    }
}
