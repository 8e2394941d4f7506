//! Parsing of the listener and quorum key families: `process.roles`,
//! `listeners`, `controller.listener.names` (and the Raft listener's security
//! protocol), `controller.quorum.voters` and `controller.quorum.bootstrap.servers`.

use crate::config_error::{ConfigError, ConfigErrorKind};
use crate::keys;

use super::reader::Reader;
use super::{defaults, HostPort, Listener, ProcessRole, Voter};

pub(super) fn parse_roles(reader: &Reader<'_>) -> Result<Vec<ProcessRole>, ConfigError> {
    let mut roles = Vec::new();
    let tokens = match reader.text(keys::PROCESS_ROLES) {
        Some(_) => reader.list(keys::PROCESS_ROLES),
        None => vec![defaults::PROCESS_ROLES.to_string()],
    };
    for token in tokens {
        let role = match token.as_str() {
            "broker" => ProcessRole::Broker,
            "controller" => ProcessRole::Controller,
            _ => {
                return Err(
                    reader.error(keys::PROCESS_ROLES, ConfigErrorKind::UnknownRole { token })
                )
            }
        };
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        roles.push(ProcessRole::Controller);
    }
    Ok(roles)
}

pub(super) fn parse_listeners(reader: &Reader<'_>) -> Result<Vec<Listener>, ConfigError> {
    let tokens = match reader.text(keys::LISTENERS) {
        Some(_) => reader.list(keys::LISTENERS),
        None => vec![defaults::LISTENERS.to_string()],
    };
    let listeners = parse_listener_list(reader, keys::LISTENERS, tokens)?;
    if listeners.is_empty() {
        return Err(reader.error(keys::LISTENERS, ConfigErrorKind::Missing));
    }
    Ok(listeners)
}

/// `advertised.listeners`, in the shape of `listeners`; empty when unset.
pub(super) fn parse_advertised_listeners(
    reader: &Reader<'_>,
) -> Result<Vec<Listener>, ConfigError> {
    let tokens = reader.list(keys::ADVERTISED_LISTENERS);
    parse_listener_list(reader, keys::ADVERTISED_LISTENERS, tokens)
}

fn parse_listener_list(
    reader: &Reader<'_>,
    key: &'static str,
    tokens: Vec<String>,
) -> Result<Vec<Listener>, ConfigError> {
    let mut listeners: Vec<Listener> = Vec::with_capacity(tokens.len());
    for token in tokens {
        let malformed = |reason: &str| ConfigErrorKind::MalformedListener {
            token: token.clone(),
            reason: reason.to_string(),
        };
        let Some((name, address)) = token.split_once("://") else {
            return Err(reader.error(key, malformed("missing `://`")));
        };
        if name.is_empty() {
            return Err(reader.error(key, malformed("empty listener name")));
        }
        let (host, port) =
            split_host_port(address, 0).map_err(|reason| reader.error(key, malformed(&reason)))?;
        let name = name.to_uppercase();
        if listeners.iter().any(|listener| listener.name == name) {
            return Err(reader.error(key, ConfigErrorKind::DuplicateListener { name }));
        }
        listeners.push(Listener { name, host, port });
    }
    Ok(listeners)
}

pub(super) fn parse_controller_listener_names(
    reader: &Reader<'_>,
    listeners: &[Listener],
) -> Result<Vec<String>, ConfigError> {
    let names: Vec<String> = reader
        .list(keys::CONTROLLER_LISTENER_NAMES)
        .into_iter()
        .map(|name| name.to_uppercase())
        .collect();
    if names.is_empty() {
        return Err(reader.error(keys::CONTROLLER_LISTENER_NAMES, ConfigErrorKind::Missing));
    }
    for name in &names {
        if !listeners.iter().any(|listener| &listener.name == name) {
            return Err(reader.error(
                keys::CONTROLLER_LISTENER_NAMES,
                ConfigErrorKind::UnknownControllerListener {
                    name: name.clone(),
                    defined: listeners.iter().map(|l| l.name.clone()).collect(),
                },
            ));
        }
    }
    Ok(names)
}

/// Only PLAINTEXT is served. As Kafka does in KRaft mode, a controller
/// listener name that is not itself a protocol name maps to PLAINTEXT when
/// `listener.security.protocol.map` is not set explicitly.
pub(super) fn check_raft_listener_protocol(
    reader: &Reader<'_>,
    raft: &str,
) -> Result<(), ConfigError> {
    let key = keys::LISTENER_SECURITY_PROTOCOL_MAP;
    let explicit = reader.text(key).is_some();
    let entries = if explicit {
        reader.list(key)
    } else {
        defaults::LISTENER_SECURITY_PROTOCOL_MAP
            .split(',')
            .map(str::to_string)
            .collect()
    };
    let mut protocol = None;
    for entry in entries {
        let Some((name, value)) = entry.split_once(':') else {
            return Err(reader.error(
                key,
                ConfigErrorKind::MalformedProtocolMapEntry { token: entry },
            ));
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || value.is_empty() {
            return Err(reader.error(
                key,
                ConfigErrorKind::MalformedProtocolMapEntry { token: entry },
            ));
        }
        if name.to_uppercase() == raft {
            protocol = Some(value.to_uppercase());
        }
    }
    let protocol = match protocol {
        Some(protocol) => protocol,
        None if !explicit => "PLAINTEXT".to_string(),
        None => {
            return Err(reader.error(
                key,
                ConfigErrorKind::NoSecurityProtocol {
                    listener: raft.to_string(),
                },
            ))
        }
    };
    if protocol != "PLAINTEXT" {
        let key = if explicit {
            key
        } else {
            keys::CONTROLLER_LISTENER_NAMES
        };
        return Err(reader.error(
            key,
            ConfigErrorKind::UnsupportedSecurityProtocol {
                listener: raft.to_string(),
                protocol,
            },
        ));
    }
    Ok(())
}

pub(super) fn parse_voters(reader: &Reader<'_>) -> Result<Vec<Voter>, ConfigError> {
    let mut voters: Vec<Voter> = Vec::new();
    for token in reader.list(keys::QUORUM_VOTERS) {
        let malformed = |reason: String| ConfigErrorKind::MalformedVoter {
            token: token.clone(),
            reason,
        };
        let Some((id, address)) = token.split_once('@') else {
            return Err(reader.error(keys::QUORUM_VOTERS, malformed("missing `@`".into())));
        };
        if address.contains('@') {
            return Err(reader.error(keys::QUORUM_VOTERS, malformed("more than one `@`".into())));
        }
        let id: i32 = match id.parse() {
            Ok(id) if id >= 0 => id,
            _ => {
                return Err(reader.error(
                    keys::QUORUM_VOTERS,
                    malformed(format!("`{id}` is not a non-negative integer id")),
                ))
            }
        };
        let (host, port) = split_host_port(address, 1)
            .map_err(|reason| reader.error(keys::QUORUM_VOTERS, malformed(reason)))?;
        if host.is_empty() {
            return Err(reader.error(keys::QUORUM_VOTERS, malformed("empty host".into())));
        }
        if voters.iter().any(|voter| voter.id == id) {
            return Err(reader.error(keys::QUORUM_VOTERS, ConfigErrorKind::DuplicateVoter { id }));
        }
        voters.push(Voter { id, host, port });
    }
    Ok(voters)
}

pub(super) fn parse_bootstrap_servers(reader: &Reader<'_>) -> Result<Vec<HostPort>, ConfigError> {
    let key = keys::QUORUM_BOOTSTRAP_SERVERS;
    let mut servers = Vec::new();
    for token in reader.list(key) {
        let malformed = |reason: String| ConfigErrorKind::MalformedHostPort {
            token: token.clone(),
            reason,
        };
        let (host, port) =
            split_host_port(&token, 1).map_err(|reason| reader.error(key, malformed(reason)))?;
        if host.is_empty() {
            return Err(reader.error(key, malformed("empty host".into())));
        }
        servers.push(HostPort { host, port });
    }
    Ok(servers)
}

/// Splits `host:port` or `[v6-host]:port`; the port must be at least
/// `min_port`.
fn split_host_port(address: &str, min_port: u16) -> Result<(String, u16), String> {
    let Some((host, port)) = address.rsplit_once(':') else {
        return Err("missing `:port`".to_string());
    };
    let host = if let Some(inner) = host.strip_prefix('[') {
        match inner.strip_suffix(']') {
            Some(inner) => inner,
            None => return Err("unclosed `[` in host".to_string()),
        }
    } else if host.contains(':') {
        return Err("IPv6 hosts must be written in brackets, e.g. [::1]:9092".to_string());
    } else {
        host
    };
    if let Some(bad) = host
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || "-._:%".contains(c)))
    {
        return Err(format!("invalid character `{bad}` in host"));
    }
    let port: u16 = match port.parse() {
        Ok(port) if port >= min_port => port,
        _ => {
            return Err(format!(
                "port `{port}` is not an integer in [{min_port}, 65535]"
            ))
        }
    };
    Ok((host.to_string(), port))
}
