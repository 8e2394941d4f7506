//! Parsing of the log directory keys (`log.dirs`, `log.dir`,
//! `metadata.log.dir`) and of our CPU placement keys.

use std::path::PathBuf;

use crate::config_error::{ConfigError, ConfigErrorKind};
use crate::keys;
use crate::placement::{CpuSet, HostCpus, Placement, Role};

use super::defaults;
use super::reader::Reader;

pub(super) fn parse_log_dirs(reader: &Reader<'_>) -> (Vec<PathBuf>, PathBuf) {
    // Kafka: log.dirs when set, else log.dir; both are comma-separated.
    let mut dirs = reader.list(keys::LOG_DIRS);
    let log_dir = reader.list(keys::LOG_DIR);
    if dirs.is_empty() {
        dirs = log_dir;
    }
    if dirs.is_empty() {
        dirs.push(defaults::LOG_DIR.to_string());
    }
    let log_dirs: Vec<PathBuf> = dirs.into_iter().map(PathBuf::from).collect();
    let metadata_log_dir = match reader.text(keys::METADATA_LOG_DIR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => log_dirs[0].clone(),
    };
    (log_dirs, metadata_log_dir)
}

pub(super) fn parse_placement(
    reader: &Reader<'_>,
    cpus: &HostCpus,
) -> Result<Placement, ConfigError> {
    let cpus_of = |role: Role| -> Result<CpuSet, ConfigError> {
        let key = role.cpu_key();
        let set = match reader.text(key) {
            None => CpuSet::one(cpus.default_cpu(role)),
            Some(token) => CpuSet::parse(token).map_err(|reason| {
                reader.error(
                    key,
                    ConfigErrorKind::InvalidCpuSet {
                        token: token.to_string(),
                        reason,
                    },
                )
            })?,
        };
        if let Some(&cpu) = set.ids().iter().find(|&&cpu| !cpus.contains(cpu)) {
            return Err(reader.error(
                key,
                ConfigErrorKind::CpuNotAvailable {
                    cpu,
                    available: cpus.ids().to_vec(),
                },
            ));
        }
        Ok(set)
    };
    let raft_cpus = cpus_of(Role::Raft)?;
    let network_cpus = cpus_of(Role::Network)?;
    let log_cpus = cpus_of(Role::Log)?;
    let spin = reader.bool(keys::EXECUTOR_SPIN, defaults::EXECUTOR_SPIN)?;
    Ok(Placement {
        raft_cpus,
        network_cpus,
        log_cpus,
        spin,
    })
}
