//! `meta.properties` of the metadata log directory, as Kafka keeps it (`MetaProperties`,
//! `MetaPropertiesEnsemble`): the replica's lasting identity, so that a restart presents the
//! same replica key (node id, directory id) to the quorum.
//!
//! Format (Kafka's v1): a Java properties file with `version=1`, `cluster.id`, `node.id` and
//! `directory.id`; Kafka requires `cluster.id` and `node.id` in v1. Checks on load follow
//! `MetaPropertiesEnsemble.verify`: a stored node id or cluster id other than the configured one
//! stops the server, and so does a reserved directory id. Kafka generates a directory id for a
//! directory that has none (`MetaPropertiesEnsemble.Copier.generateValidDirectoryIds`) and never
//! changes a stored one, so a `--replica-directory-id` that disagrees with the stored id is an
//! error, not an override.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use kraft_config::properties::Properties;
use kraft_records::Uuid;

pub const META_PROPERTIES_FILE: &str = "meta.properties";

/// Why the replica's identity could not be established.
#[derive(Debug)]
pub enum MetaPropertiesError {
    Io {
        path: PathBuf,
        reason: String,
    },
    Malformed {
        path: PathBuf,
        reason: String,
    },
    Mismatch {
        path: PathBuf,
        key: &'static str,
        stored: String,
        expected: String,
    },
    ReservedDirectoryId {
        source: String,
        id: Uuid,
    },
    /// No `meta.properties` where a dynamic quorum (no `controller.quorum.voters`) needs one:
    /// the directory was never formatted (Kafka refuses to start likewise).
    NotFormatted {
        dir: PathBuf,
        config: PathBuf,
    },
}

impl fmt::Display for MetaPropertiesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetaPropertiesError::Io { path, reason } => write!(f, "{}: {reason}", path.display()),
            MetaPropertiesError::Malformed { path, reason } => {
                write!(f, "{}: {reason}", path.display())
            }
            MetaPropertiesError::Mismatch {
                path,
                key,
                stored,
                expected,
            } => write!(
                f,
                "{}: stored {key} {stored} does not match {expected} (this directory belongs \
                 to another replica; use its own log directory or remove the file)",
                path.display()
            ),
            MetaPropertiesError::ReservedDirectoryId { source, id } => write!(
                f,
                "{source}: directory id {id} is reserved by Kafka (ids 0-99 mean unassigned, lost \
                 or migrating)"
            ),
            MetaPropertiesError::NotFormatted { dir, config } => write!(
                f,
                "{} is not formatted (no {META_PROPERTIES_FILE}) and controller.quorum.voters is \
                 not set: run bin/kraft-storage.sh format --config {} --cluster-id ID \
                 (--standalone | --initial-controllers ID@HOST:PORT:DIRECTORY_ID,... | \
                 --no-initial-controllers), with one cluster id for the whole quorum \
                 (bin/kraft-storage.sh random-uuid prints one)",
                dir.display(),
                config.display()
            ),
        }
    }
}

impl std::error::Error for MetaPropertiesError {}

/// Kafka's `DirectoryId.reserved`: the first 100 ids (most significant half zero).
pub fn is_reserved_directory_id(id: Uuid) -> bool {
    id.0[..8].iter().all(|&b| b == 0) && u64::from_be_bytes(id.0[8..].try_into().unwrap()) < 100
}

/// The directory id this replica runs with: the stored one, else `given`, else a new random
/// one; written to `<log_dir>/meta.properties` (durably) when the file lacks it.
pub fn ensure_directory_id(
    log_dir: &Path,
    node_id: i32,
    cluster_id: &str,
    given: Option<Uuid>,
) -> Result<Uuid, MetaPropertiesError> {
    let path = log_dir.join(META_PROPERTIES_FILE);
    if let Some(id) = given.filter(|&id| is_reserved_directory_id(id)) {
        let source = "--replica-directory-id".to_string();
        return Err(MetaPropertiesError::ReservedDirectoryId { source, id });
    }
    let stored = if path.exists() {
        load(&path, node_id, cluster_id)?
    } else {
        None
    };
    match (stored, given) {
        (Some(stored), Some(given)) if stored != given => Err(MetaPropertiesError::Mismatch {
            path,
            key: "directory.id",
            stored: stored.to_string(),
            expected: format!("--replica-directory-id {given}"),
        }),
        (Some(stored), _) => Ok(stored),
        (None, given) => {
            let id = match given {
                Some(id) => id,
                None => random_directory_id().map_err(|reason| MetaPropertiesError::Io {
                    path: path.clone(),
                    reason,
                })?,
            };
            store(log_dir, &path, node_id, cluster_id, id)?;
            Ok(id)
        }
    }
}

/// A v1 `meta.properties` as stored: what `kraft-storage format` writes and the server reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaProperties {
    pub cluster_id: String,
    pub node_id: i32,
    pub directory_id: Option<Uuid>,
}

/// `<log_dir>/meta.properties` parsed and checked for Kafka's v1 shape (version 1, cluster.id and
/// node.id present, directory.id a Kafka Uuid and not reserved); `None` when the file is absent.
pub fn read(log_dir: &Path) -> Result<Option<MetaProperties>, MetaPropertiesError> {
    let path = log_dir.join(META_PROPERTIES_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let malformed = |reason: String| MetaPropertiesError::Malformed {
        path: path.clone(),
        reason,
    };
    let props = Properties::load(&path).map_err(|e| malformed(e.to_string()))?;
    let get = |key: &str| props.get(key).map(str::trim);
    if get("version") != Some("1") {
        let found = get("version").unwrap_or("(none)");
        return Err(malformed(format!(
            "version {found} is not supported (expected 1)"
        )));
    }
    let node_text = get("node.id").ok_or_else(|| malformed("node.id is missing".into()))?;
    let node_id = node_text
        .parse::<i32>()
        .map_err(|_| malformed(format!("node.id '{node_text}' is not a node id")))?;
    let cluster_id = get("cluster.id")
        .ok_or_else(|| malformed("cluster.id is missing".into()))?
        .to_string();
    let directory_id = match get("directory.id") {
        None => None,
        Some(text) => {
            let id: Uuid = text
                .parse()
                .map_err(|e| malformed(format!("directory.id: {e}")))?;
            if is_reserved_directory_id(id) {
                let source = path.display().to_string();
                return Err(MetaPropertiesError::ReservedDirectoryId { source, id });
            }
            Some(id)
        }
    };
    Ok(Some(MetaProperties {
        cluster_id,
        node_id,
        directory_id,
    }))
}

/// Writes `<log_dir>/meta.properties` (v1, with its directory id) durably, creating the
/// directory if needed.
pub fn write(
    log_dir: &Path,
    node_id: i32,
    cluster_id: &str,
    directory_id: Uuid,
) -> Result<(), MetaPropertiesError> {
    let path = log_dir.join(META_PROPERTIES_FILE);
    store(log_dir, &path, node_id, cluster_id, directory_id)
}

/// Reads and checks an existing file; the stored directory id, if any.
fn load(path: &Path, node_id: i32, cluster_id: &str) -> Result<Option<Uuid>, MetaPropertiesError> {
    let log_dir = path
        .parent()
        .expect("meta.properties is inside a directory");
    let stored = read(log_dir)?.ok_or_else(|| MetaPropertiesError::Io {
        path: path.to_path_buf(),
        reason: "the file vanished while being read".into(),
    })?;
    if stored.node_id != node_id {
        return Err(MetaPropertiesError::Mismatch {
            path: path.to_path_buf(),
            key: "node.id",
            stored: stored.node_id.to_string(),
            expected: format!("node.id {node_id} of the configuration"),
        });
    }
    if stored.cluster_id != cluster_id {
        return Err(MetaPropertiesError::Mismatch {
            path: path.to_path_buf(),
            key: "cluster.id",
            stored: stored.cluster_id,
            expected: format!("this server's cluster id {cluster_id}"),
        });
    }
    Ok(stored.directory_id)
}

/// Writes the v1 file atomically (temporary file, fsync, rename, fsync of the directory).
fn store(
    log_dir: &Path,
    path: &Path,
    node_id: i32,
    cluster_id: &str,
    directory_id: Uuid,
) -> Result<(), MetaPropertiesError> {
    let io = |e: &dyn fmt::Display| MetaPropertiesError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    kraft_segment_log::create_dir_durable(log_dir).map_err(|e| io(&e))?;
    // Java's `Properties.store` starts with a comment line; readers skip comments.
    let text = format!(
        "#\n#Written by kraft-rs\nversion=1\ncluster.id={cluster_id}\nnode.id={node_id}\n\
         directory.id={directory_id}\n"
    );
    kraft_segment_log::write_atomically(path, text.as_bytes()).map_err(|e| io(&e))
}

/// Kafka's `DirectoryId.random`: 16 random bytes, not reserved, and (as `Uuid.randomUuid`) not
/// printed with a leading `-`, which command lines would take for an option.
pub fn random_directory_id() -> Result<Uuid, String> {
    let mut urandom = std::fs::File::open("/dev/urandom")
        .map_err(|e| format!("cannot open /dev/urandom: {e}"))?;
    // Bounded: a draw is rejected with probability about 1/64.
    for _ in 0..1000 {
        let mut bytes = [0u8; 16];
        urandom
            .read_exact(&mut bytes)
            .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
        let id = Uuid(bytes);
        if !is_reserved_directory_id(id) && !id.to_string().starts_with('-') {
            return Ok(id);
        }
    }
    Err("/dev/urandom gave no usable directory id in 1000 draws".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "AAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn generated_once_then_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = ensure_directory_id(dir.path(), 3, CLUSTER, None).unwrap();
        assert!(!is_reserved_directory_id(first));
        let text = std::fs::read_to_string(dir.path().join(META_PROPERTIES_FILE)).unwrap();
        assert!(
            text.contains("version=1\n") && text.contains("node.id=3\n"),
            "{text}"
        );
        assert!(text.contains(&format!("directory.id={first}\n")), "{text}");
        assert_eq!(
            ensure_directory_id(dir.path(), 3, CLUSTER, None).unwrap(),
            first
        );
        assert_eq!(
            ensure_directory_id(dir.path(), 3, CLUSTER, Some(first)).unwrap(),
            first
        );
    }

    #[test]
    fn disagreements_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let given = Uuid::from_parts(7, 7);
        assert_eq!(
            ensure_directory_id(dir.path(), 1, CLUSTER, Some(given)).unwrap(),
            given
        );
        let other = Some(Uuid::from_parts(8, 8));
        let err = ensure_directory_id(dir.path(), 1, CLUSTER, other).unwrap_err();
        assert!(err.to_string().contains("directory.id"), "{err}");
        let err = ensure_directory_id(dir.path(), 2, CLUSTER, None).unwrap_err();
        assert!(err.to_string().contains("node.id"), "{err}");
        let err = ensure_directory_id(dir.path(), 1, "other", None).unwrap_err();
        assert!(err.to_string().contains("cluster.id"), "{err}");
        let reserved = Some(Uuid::from_parts(0, 1));
        let err = ensure_directory_id(dir.path(), 1, CLUSTER, reserved).unwrap_err();
        assert!(err.to_string().contains("reserved"), "{err}");
    }

    #[test]
    fn a_file_without_directory_id_gets_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(META_PROPERTIES_FILE);
        std::fs::write(
            &path,
            format!("version=1\ncluster.id={CLUSTER}\nnode.id=4\n"),
        )
        .unwrap();
        let id = ensure_directory_id(dir.path(), 4, CLUSTER, None).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(&format!("directory.id={id}")), "{text}");
        std::fs::write(&path, "version=0\nbroker.id=4\n").unwrap();
        let err = ensure_directory_id(dir.path(), 4, CLUSTER, None).unwrap_err();
        assert!(err.to_string().contains("version 0"), "{err}");
    }
}
