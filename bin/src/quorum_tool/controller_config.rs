//! What `add-controller` reads from the new controller's configuration file, by the rules of
//! Kafka's `MetadataQuorumCommand` (and with its error texts): `node.id` (non-negative, with
//! `controller` in `process.roles`), the metadata directory (`metadata.log.dir`, else the first
//! of `log.dirs`) and the directory id in its `meta.properties`, and the endpoint of each
//! `controller.listener.names` entry (from `listeners`, overridden by `advertised.listeners`; an
//! empty host is `localhost`).

use std::path::{Path, PathBuf};

use kraft_config::Properties;
use kraft_engine::message::LeaderEndpoint;
use kraft_records::Uuid;

const NODE_ID: &str = "node.id";
const PROCESS_ROLES: &str = "process.roles";
const METADATA_LOG_DIR: &str = "metadata.log.dir";
const LOG_DIRS: &str = "log.dirs";
const LISTENERS: &str = "listeners";
const ADVERTISED_LISTENERS: &str = "advertised.listeners";
const CONTROLLER_LISTENER_NAMES: &str = "controller.listener.names";
const META_PROPERTIES: &str = "meta.properties";
const DIRECTORY_ID: &str = "directory.id";

/// The controller to add, as its configuration and metadata directory describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewController {
    pub node_id: i32,
    pub metadata_dir: PathBuf,
    pub directory_id: Uuid,
    /// One per controller listener name, in that order.
    pub endpoints: Vec<LeaderEndpoint>,
}

pub fn read_new_controller(config: &Path) -> Result<NewController, String> {
    if !config.exists() {
        return Err(format!(
            "Properties file {} does not exist.",
            config.display()
        ));
    }
    let props = Properties::load(config).map_err(|e| e.to_string())?;
    let node_id = controller_id(&props)?;
    let metadata_dir = metadata_directory(&props)?;
    let directory_id = metadata_directory_id(&metadata_dir)?;
    let endpoints = controller_endpoints(&props)?;
    Ok(NewController {
        node_id,
        metadata_dir,
        directory_id,
        endpoints,
    })
}

fn controller_id(props: &Properties) -> Result<i32, String> {
    let text = props.get(NODE_ID).ok_or(
        "node.id not found in configuration file. Is this a valid controller configuration file?",
    )?;
    let node_id: i32 = text
        .trim()
        .parse()
        .map_err(|_| format!("node.id '{text}' is not an integer"))?;
    if node_id < 0 {
        return Err(
            "node.id was negative in configuration file. Is this a valid controller \
                    configuration file?"
                .into(),
        );
    }
    if !props
        .get(PROCESS_ROLES)
        .unwrap_or("")
        .contains("controller")
    {
        return Err(
            "process.roles did not contain 'controller' in configuration file. Is this \
                    a valid controller configuration file?"
                .into(),
        );
    }
    Ok(node_id)
}

fn metadata_directory(props: &Properties) -> Result<PathBuf, String> {
    if let Some(dir) = props.get(METADATA_LOG_DIR) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dirs) = props.get(LOG_DIRS) {
        if let Some(first) = dirs.trim().split(',').next() {
            return Ok(PathBuf::from(first));
        }
    }
    Err(
        "Neither metadata.log.dir nor log.dirs were found. Is this a valid controller \
         configuration file?"
            .into(),
    )
}

fn metadata_directory_id(dir: &Path) -> Result<Uuid, String> {
    let path = dir.join(META_PROPERTIES);
    let unreadable = || format!("Unable to read meta.properties from {}", dir.display());
    let meta = Properties::load(&path).map_err(|_| unreadable())?;
    let id = meta
        .get(DIRECTORY_ID)
        .ok_or_else(|| format!("No directory id found in {}", dir.display()))?;
    id.trim()
        .parse()
        .map_err(|e| format!("{} in {}: {e}", DIRECTORY_ID, path.display()))
}

/// `NAME://host:port` entries by (upper-cased) listener name.
fn listener_entries(props: &Properties, key: &str) -> Result<Vec<LeaderEndpoint>, String> {
    let Some(list) = props.get(key) else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| parse_listener(entry).map_err(|why| format!("{key}: '{entry}': {why}")))
        .collect()
}

fn parse_listener(entry: &str) -> Result<LeaderEndpoint, String> {
    let (name, address) = entry.split_once("://").ok_or("missing '://'")?;
    let (host, port) = address.rsplit_once(':').ok_or("missing ':port'")?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let port: u16 = port
        .parse()
        .map_err(|_| format!("port '{port}' is not in [0, 65535]"))?;
    Ok(LeaderEndpoint {
        name: name.to_uppercase(),
        host: if host.is_empty() {
            "localhost".into()
        } else {
            host.to_string()
        },
        port,
    })
}

fn controller_endpoints(props: &Properties) -> Result<Vec<LeaderEndpoint>, String> {
    let mut known = listener_entries(props, LISTENERS)?;
    for advertised in listener_entries(props, ADVERTISED_LISTENERS)? {
        known.retain(|l| l.name != advertised.name);
        known.push(advertised);
    }
    let names = props.get(CONTROLLER_LISTENER_NAMES).ok_or(
        "controller.listener.names was not found. Is this a valid controller configuration file?",
    )?;
    let mut endpoints: Vec<LeaderEndpoint> = Vec::new();
    for name in names.split(',').map(|n| n.trim().to_uppercase()) {
        let endpoint = known.iter().find(|l| l.name == name).ok_or_else(|| {
            format!("Cannot find information about controller listener name: {name}")
        })?;
        if !endpoints.contains(endpoint) {
            endpoints.push(endpoint.clone());
        }
    }
    Ok(endpoints)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reads_id_directory_and_endpoints_as_kafka_does() {
        let dir = tempfile::tempdir().unwrap();
        let meta = dir.path().join("meta");
        std::fs::create_dir(&meta).unwrap();
        write(
            &meta,
            "meta.properties",
            "version=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\nnode.id=4\n\
             directory.id=AAAAAAAAAAAAAAAAAAAAZQ\n",
        );
        let config = write(
            dir.path(),
            "c.properties",
            &format!(
                "node.id=4\nprocess.roles=controller\nlog.dirs={}\n\
                 listeners=CONTROLLER://:9093,OTHER://127.0.0.1:9094\n\
                 advertised.listeners=OTHER://[::1]:9095\n\
                 controller.listener.names=CONTROLLER,other\n",
                meta.display()
            ),
        );
        let c = read_new_controller(&config).unwrap();
        assert_eq!(c.node_id, 4);
        assert_eq!(c.directory_id, Uuid::from_parts(0, 101));
        assert_eq!(
            c.endpoints,
            vec![
                LeaderEndpoint {
                    name: "CONTROLLER".into(),
                    host: "localhost".into(),
                    port: 9093
                },
                LeaderEndpoint {
                    name: "OTHER".into(),
                    host: "::1".into(),
                    port: 9095
                }
            ]
        );
    }

    #[test]
    fn refuses_with_kafkas_texts() {
        let dir = tempfile::tempdir().unwrap();
        let refuse = |text: &str| {
            let config = write(dir.path(), "c.properties", text);
            read_new_controller(&config).unwrap_err()
        };
        assert!(refuse("process.roles=controller\n").starts_with("node.id not found"));
        assert!(
            refuse("node.id=-1\nprocess.roles=controller\n").starts_with("node.id was negative")
        );
        assert!(refuse("node.id=1\nprocess.roles=broker\n").starts_with("process.roles did not"));
        assert!(
            refuse("node.id=1\nprocess.roles=controller\n").starts_with("Neither metadata.log.dir")
        );
        let missing = format!(
            "node.id=1\nprocess.roles=controller\nmetadata.log.dir={}\n",
            dir.path().join("nowhere").display()
        );
        assert!(refuse(&missing).starts_with("Unable to read meta.properties from "));
        write(dir.path(), "meta.properties", "version=1\nnode.id=1\n");
        let no_id = format!(
            "node.id=1\nprocess.roles=controller\nmetadata.log.dir={}\n",
            dir.path().display()
        );
        assert!(refuse(&no_id).starts_with("No directory id found in "));
        write(
            dir.path(),
            "meta.properties",
            "version=1\nnode.id=1\ndirectory.id=AAAAAAAAAAAAAAAAAAAAZQ\n",
        );
        assert!(refuse(&no_id).starts_with("controller.listener.names was not found"));
        let unknown = format!("{no_id}listeners=A://:1\ncontroller.listener.names=B\n");
        assert_eq!(
            refuse(&unknown),
            "Cannot find information about controller listener name: B"
        );
        let absent = dir.path().join("absent.properties");
        assert_eq!(
            read_new_controller(&absent).unwrap_err(),
            format!("Properties file {} does not exist.", absent.display())
        );
    }
}
