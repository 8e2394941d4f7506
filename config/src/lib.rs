//! Configuration of the KRaft server: a Java `.properties` reader with
//! `java.util.Properties.load` semantics, the typed and validated server
//! configuration (Kafka's keys and defaults plus our CPU placement keys),
//! and the server's command line.

pub mod cli;
mod cli_error;
mod config_error;
pub mod keys;
pub mod placement;
pub mod properties;
mod properties_error;
pub mod server;

pub use cli::{CliAction, CliError, ServerArgs};
pub use config_error::{ConfigError, ConfigErrorKind, Location};
/// Kafka's UUID (the records crate's type, shared by the whole workspace).
pub use kraft_records::Uuid;
pub use placement::{CpuSet, ExecutorPlan, HostCpus, Placement, Role};
pub use properties::{Properties, PropertiesError};
pub use server::{HostPort, Listener, ProcessRole, QuorumConfig, ServerConfig, Voter};
