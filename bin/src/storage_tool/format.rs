//! `kraft-storage format`, after Kafka's `StorageTool.runFormatCommand` and `Formatter`:
//!
//! - the directories are `log.dirs` and `metadata.log.dir`, sorted (Kafka's TreeSet); each one
//!   without `meta.properties` is formatted, one with it is checked (same cluster id and node id,
//!   no duplicate directory id) and refused unless `--ignore-formatted`;
//! - `meta.properties` v1 gets `cluster.id`, `node.id` and a `directory.id`: this node's entry of
//!   the initial voters for the metadata directory of a voter, a fresh random id otherwise;
//! - with initial voters (`--standalone`, `--initial-controllers`), the metadata directory also
//!   gets the bootstrap checkpoint (kraft.version 1 and the Voters record) in its partition
//!   directory, written before `meta.properties` as Kafka's pre-write handler does, so a crash in
//!   between leaves a directory that is still unformatted.
//!
//! Kafka's `bootstrap.checkpoint` (metadata.version and feature records for the metadata layer)
//! has no reader here: this node replicates the performance workload, not cluster metadata.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use kraft_config::ServerConfig;
use kraft_records::Uuid;

use super::args::{FormatArgs, QuorumSetup};
use super::error::StorageToolError;
use super::initial_controllers::{parse_voters, DynamicVoter, DynamicVoters};
use crate::runtime::meta_properties::{self, MetaProperties, MetaPropertiesError};

/// kraft.version of a directory formatted with initial voters (KIP-853), and without.
const KRAFT_VERSION_DYNAMIC: i16 = 1;
const KRAFT_VERSION_STATIC: i16 = 0;

/// Kafka's `Uuid.randomUuid`: a version-4 random UUID, never reserved, never printed with a
/// leading `-`.
pub fn random_uuid() -> Result<Uuid, String> {
    let mut id = meta_properties::random_directory_id()?;
    id.0[6] = (id.0[6] & 0x0f) | 0x40;
    id.0[8] = (id.0[8] & 0x3f) | 0x80;
    debug_assert!(!meta_properties::is_reserved_directory_id(id));
    Ok(id)
}

/// Kafka's `Formatter.DirectoryType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DirectoryType {
    Log,
    StaticMetadata,
    DynamicMetadataNonVoter,
    DynamicMetadataVoter,
}

impl DirectoryType {
    fn of(dir: &Path, config: &ServerConfig, initial: Option<&DynamicVoters>) -> DirectoryType {
        match initial {
            _ if dir != config.metadata_log_dir => DirectoryType::Log,
            None => DirectoryType::StaticMetadata,
            Some(voters) if voters.voters.contains_key(&config.node_id) => {
                DirectoryType::DynamicMetadataVoter
            }
            Some(_) => DirectoryType::DynamicMetadataNonVoter,
        }
    }

    fn description(self) -> &'static str {
        match self {
            DirectoryType::Log => "data directory",
            DirectoryType::StaticMetadata => "metadata directory",
            DirectoryType::DynamicMetadataNonVoter => "dynamic metadata directory",
            DirectoryType::DynamicMetadataVoter => "dynamic metadata voter directory",
        }
    }
}

/// Formats the directories of `args.config`; what Kafka prints goes to `out`.
pub fn run(args: &FormatArgs, out: &mut dyn Write) -> Result<(), StorageToolError> {
    let config =
        ServerConfig::load(&args.config).map_err(|e| StorageToolError::Config(e.to_string()))?;
    check_cluster_id(&args.cluster_id)?;
    let initial = initial_voters(&config, &args.quorum)?;
    let survey = survey(&directories(&config), &config, &args.cluster_id, out)?;
    if let Some((dir, _)) = survey.formatted.first().filter(|_| !args.ignore_formatted) {
        return Err(StorageToolError::Refused(format!(
            "Log directory {} is already formatted. Use --ignore-formatted to ignore this \
             directory and format the others.",
            dir.display()
        )));
    }
    if survey.empty.is_empty() {
        print(out, "All of the log directories are already formatted.");
        return Ok(());
    }
    let kraft_version = if initial.is_some() {
        KRAFT_VERSION_DYNAMIC
    } else {
        KRAFT_VERSION_STATIC
    };
    let mut used_ids: BTreeSet<Uuid> = survey
        .formatted
        .iter()
        .filter_map(|(_, p)| p.directory_id)
        .collect();
    for dir in &survey.empty {
        let kind = DirectoryType::of(dir, &config, initial.as_ref());
        let directory_id = match (kind, &initial) {
            (DirectoryType::DynamicMetadataVoter, Some(voters)) => {
                voters.voters[&config.node_id].directory_id
            }
            _ => fresh_directory_id(&used_ids)?,
        };
        used_ids.insert(directory_id);
        print(
            out,
            &format!(
                "Formatting {} {} with kraft.version {kraft_version}.",
                kind.description(),
                dir.display()
            ),
        );
        if let Some(voters) = initial.as_ref().filter(|_| dir == &config.metadata_log_dir) {
            write_checkpoint(&config, voters, dir)?;
        }
        meta_properties::write(dir, config.node_id, &args.cluster_id, directory_id)
            .map_err(|e| write_error(dir, e))?;
    }
    Ok(())
}

fn print(out: &mut dyn Write, line: &str) {
    // Like Java's PrintStream, a failed stdout does not fail the format.
    let _ = writeln!(out, "{line}");
}

/// Any string is a cluster id to Kafka; this one must also survive `meta.properties` as written
/// (no escapes) and a command line: printable ASCII without spaces or `\ = : # !`.
fn check_cluster_id(cluster_id: &str) -> Result<(), StorageToolError> {
    let usable = |c: char| c.is_ascii_graphic() && !matches!(c, '\\' | '=' | ':' | '#' | '!');
    if cluster_id.is_empty() || !cluster_id.chars().all(usable) {
        return Err(StorageToolError::Refused(format!(
            "Cluster id '{cluster_id}' is not usable: use printable ASCII without spaces or \
             \\ = : # ! (bin/kraft-storage.sh random-uuid prints one)"
        )));
    }
    Ok(())
}

/// The initial voters the flags give, with Kafka's refusals.
fn initial_voters(
    config: &ServerConfig,
    quorum: &QuorumSetup,
) -> Result<Option<DynamicVoters>, StorageToolError> {
    let refused = |message: &str| Err(StorageToolError::Refused(message.to_string()));
    let static_voters = !config.voters().is_empty();
    let voters =
        match quorum {
            QuorumSetup::Standalone | QuorumSetup::InitialControllers(_) if static_voters => {
                return refused(
                    "You cannot specify controller.quorum.voters and format the node with \
                 --initial-controllers or --standalone. If you want to use dynamic quorum, please \
                 remove controller.quorum.voters and specify controller.quorum.bootstrap.servers \
                 instead.",
                )
            }
            QuorumSetup::Unspecified if !static_voters => return refused(
                "Because controller.quorum.voters is not set on this controller, you must specify \
                 one of the following: --standalone, --initial-controllers, or \
                 --no-initial-controllers.",
            ),
            QuorumSetup::Unspecified | QuorumSetup::NoInitialControllers => return Ok(None),
            QuorumSetup::Standalone => standalone_voter(config)?,
            QuorumSetup::InitialControllers(text) => {
                parse_voters(text).map_err(StorageToolError::Refused)?
            }
        };
    if let Some(own) = voters.voters.get(&config.node_id) {
        if meta_properties::is_reserved_directory_id(own.directory_id) {
            return Err(StorageToolError::Refused(format!(
                "Invalid reserved directory ID {} for node {} in --initial-controllers (ids 0-99 \
                 mean unassigned, lost or migrating)",
                own.directory_id, config.node_id
            )));
        }
    }
    Ok(Some(voters))
}

/// Kafka's `createStandaloneDynamicVoters`: this node, its controller listener as advertised
/// (`advertised.listeners`, else `listeners`; `localhost` when it names no host), a new
/// directory id.
fn standalone_voter(config: &ServerConfig) -> Result<DynamicVoters, StorageToolError> {
    let listener = config.advertised_raft_listener();
    let host = match listener.host.as_str() {
        "" => "localhost",
        host => host,
    };
    let voter = DynamicVoter {
        node_id: config.node_id,
        host: host.to_string(),
        port: listener.port,
        directory_id: random_uuid().map_err(StorageToolError::Refused)?,
    };
    Ok(DynamicVoters {
        voters: [(config.node_id, voter)].into_iter().collect(),
    })
}

/// `log.dirs` and `metadata.log.dir`, sorted, each once.
fn directories(config: &ServerConfig) -> Vec<PathBuf> {
    let mut dirs: BTreeSet<PathBuf> = config.log_dirs.iter().cloned().collect();
    dirs.insert(config.metadata_log_dir.clone());
    dirs.into_iter().collect()
}

/// The directories sorted by state (Kafka's `MetaPropertiesEnsemble`), checked as Kafka's
/// `verify` checks them.
struct Survey {
    empty: Vec<PathBuf>,
    formatted: Vec<(PathBuf, MetaProperties)>,
}

fn survey(
    dirs: &[PathBuf],
    config: &ServerConfig,
    cluster_id: &str,
    out: &mut dyn Write,
) -> Result<Survey, StorageToolError> {
    let mut survey = Survey {
        empty: Vec::new(),
        formatted: Vec::new(),
    };
    let mut unreadable = Vec::new();
    for dir in dirs {
        match meta_properties::read(dir) {
            Ok(None) => survey.empty.push(dir.clone()),
            Ok(Some(props)) => survey.formatted.push((dir.clone(), props)),
            Err(MetaPropertiesError::Io { .. }) => unreadable.push(dir.clone()),
            Err(error) => return Err(StorageToolError::Refused(error.to_string())),
        }
    }
    verify(&survey.formatted, config.node_id, cluster_id)?;
    if unreadable.contains(&config.metadata_log_dir) {
        return Err(StorageToolError::Refused(format!(
            "Encountered I/O error in metadata log directory {}. Cannot continue.",
            config.metadata_log_dir.display()
        )));
    }
    for dir in &unreadable {
        let line = format!(
            "I/O error trying to read log directory {}. Ignoring...",
            dir.display()
        );
        print(out, &line);
    }
    if !unreadable.is_empty() && survey.empty.is_empty() && survey.formatted.is_empty() {
        let message = "No available log directories to format.";
        return Err(StorageToolError::Refused(message.into()));
    }
    Ok(survey)
}

/// Kafka's `MetaPropertiesEnsemble.verify` for the directories already formatted.
fn verify(
    formatted: &[(PathBuf, MetaProperties)],
    node_id: i32,
    cluster_id: &str,
) -> Result<(), StorageToolError> {
    let mut seen: Vec<(Uuid, &Path)> = Vec::with_capacity(formatted.len());
    for (dir, props) in formatted {
        let path = dir.join(meta_properties::META_PROPERTIES_FILE);
        let refused = |message: String| Err(StorageToolError::Refused(message));
        if props.cluster_id != cluster_id {
            return refused(format!(
                "Invalid cluster.id in: {}. Expected {cluster_id}, but read {}",
                path.display(),
                props.cluster_id
            ));
        }
        if props.node_id != node_id {
            return refused(format!(
                "Stored node id {} doesn't match previous node id {node_id} in {}. If you moved \
                 your data, make sure your configured node id matches. If you intend to create a \
                 new node, you should remove all data in your data directories.",
                props.node_id,
                path.display()
            ));
        }
        if let Some(id) = props.directory_id {
            if let Some((_, previous)) = seen.iter().find(|(seen_id, _)| *seen_id == id) {
                return refused(format!(
                    "Duplicate directory ID {id} found. It was the ID of {}, but also of {}",
                    previous.display(),
                    dir.display()
                ));
            }
            seen.push((id, dir));
        }
    }
    Ok(())
}

/// A random directory id no other directory of this node has.
fn fresh_directory_id(used: &BTreeSet<Uuid>) -> Result<Uuid, StorageToolError> {
    // Bounded: a collision among 16 random bytes does not happen twice in a row.
    for _ in 0..16 {
        let id = random_uuid().map_err(StorageToolError::Refused)?;
        if !used.contains(&id) {
            return Ok(id);
        }
    }
    Err(StorageToolError::Refused(
        "no unused random directory id in 16 draws".into(),
    ))
}

fn write_checkpoint(
    config: &ServerConfig,
    voters: &DynamicVoters,
    dir: &Path,
) -> Result<(), StorageToolError> {
    let record = voters.to_voters_record(config.raft_listener_name());
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    kraft_perf::write_bootstrap_checkpoint(
        &config.partition_dir(),
        KRAFT_VERSION_DYNAMIC,
        &record,
        now_ms,
    )
    .map(|_| ())
    .map_err(|e| write_error(dir, e))
}

fn write_error(dir: &Path, error: impl std::fmt::Display) -> StorageToolError {
    StorageToolError::Write {
        dir: dir.display().to_string(),
        reason: error.to_string(),
    }
}
