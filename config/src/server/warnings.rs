//! Warnings about a configuration that loads but may not do what its author
//! meant: unknown or repeated keys, overridden roles, observer set-ups and a
//! voter entry that disagrees with the Raft listener.

use crate::keys;

use super::reader::Reader;
use super::{ProcessRole, ServerConfig};

pub(super) fn collect_warnings(reader: &Reader<'_>, config: &ServerConfig) -> Vec<String> {
    let source = reader.source();
    let mut warnings = Vec::new();
    for entry in reader.properties.iter() {
        if !keys::KNOWN.contains(&entry.key.as_str()) {
            warnings.push(format!(
                "{source}:{}: unknown setting `{}` is ignored",
                entry.line, entry.key
            ));
        }
    }
    for duplicate in reader.properties.overrides() {
        warnings.push(format!(
            "{source}:{}: `{}` is set again; the value on this line replaces the one on line {}",
            duplicate.winning_line, duplicate.key, duplicate.first_line
        ));
    }
    if config.process_roles != [ProcessRole::Controller] {
        warnings.push(format!(
            "{source}: `process.roles` is overridden to `controller`, as TestRaftServer does"
        ));
    }
    if !config.quorum.voters.is_empty() && !config.quorum.bootstrap_servers.is_empty() {
        warnings.push(format!(
            "{source}: both `controller.quorum.voters` and `controller.quorum.bootstrap.servers` are set; the static voter set is used"
        ));
    }
    if config.quorum.voters.is_empty() {
        warnings.push(format!(
            "{source}: no static voters (only `controller.quorum.bootstrap.servers`): node {} takes the voter set from its bootstrap checkpoint and log (kraft.version 1), and is an observer until it is a voter",
            config.node_id
        ));
    } else if !config.is_voter() {
        let ids: Vec<String> = config
            .quorum
            .voters
            .iter()
            .map(|v| v.id.to_string())
            .collect();
        warnings.push(format!(
            "{source}: node.id {} is not among the voters ({}) of `controller.quorum.voters`: running as an observer",
            config.node_id,
            ids.join(", ")
        ));
    }
    if let Some(me) = config.voters().iter().find(|v| v.id == config.node_id) {
        let (_, port) = config.raft_listener();
        if me.port != port {
            warnings.push(format!(
                "{source}: this node's voter entry {}@{}:{} has another port than its Raft listener `{}` (port {port}); other voters will not reach it there",
                me.id,
                me.host,
                me.port,
                config.raft_listener_name()
            ));
        }
    }
    warnings
}
