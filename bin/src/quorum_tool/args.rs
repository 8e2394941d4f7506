//! The command line, in the shape of Kafka's `kafka-metadata-quorum`: global options
//! (`--bootstrap-server` / `--bootstrap-controller`, `--command-config`) then a command
//! (`describe`, `add-controller`, `remove-controller`) and its options. Options are accepted in
//! any order, as `--name value` or `--name=value`.

use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Status,
    Replication,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Describe(View),
    /// Adds the controller `config` describes (node id, metadata directory, listeners).
    AddController {
        config: PathBuf,
        dry_run: bool,
    },
    /// `controller_id` is kept as typed so that a negative one gets Kafka's own refusal.
    RemoveController {
        controller_id: i64,
        controller_directory_id: String,
        dry_run: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolArgs {
    pub servers: Vec<String>,
    pub command: Command,
    /// `--timeout-ms`; each command has its own default.
    pub timeout_ms: Option<u64>,
}

/// Everything read from the command line before it is checked as a whole.
#[derive(Default)]
struct Raw {
    servers: Option<Vec<String>>,
    command: Option<String>,
    config: Option<PathBuf>,
    status: bool,
    replication: bool,
    dry_run: bool,
    controller_id: Option<String>,
    controller_directory_id: Option<String>,
    timeout_ms: Option<u64>,
}

/// Parses the command line; `Ok(None)` = help.
pub fn parse_args(args: &[String]) -> Result<Option<ToolArgs>, String> {
    let mut raw = Raw::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg, None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag {
            "-h" | "--help" => return Ok(None),
            "--bootstrap-server" | "--bootstrap-controller" => {
                raw.servers = Some(parse_servers(&value(flag)?)?)
            }
            "--command-config" | "--config" => raw.config = Some(PathBuf::from(value(flag)?)),
            "--timeout-ms" => {
                let v = value(flag)?;
                raw.timeout_ms =
                    Some(v.parse().map_err(|_| {
                        format!("--timeout-ms: '{v}' is not a number of milliseconds")
                    })?);
            }
            "--controller-id" | "-i" => raw.controller_id = Some(value(flag)?),
            "--controller-directory-id" | "-d" => raw.controller_directory_id = Some(value(flag)?),
            "--status" => raw.status = true,
            "--replication" => raw.replication = true,
            "--dry-run" => raw.dry_run = true,
            "--unregister" => {
                return Err(
                    "--unregister is not supported: this quorum has no controller \
                            registrations to remove (it runs no brokers)"
                        .into(),
                )
            }
            "describe" | "add-controller" | "remove-controller" => {
                if let Some(first) = &raw.command {
                    return Err(format!("two commands given: '{first}' and '{flag}'"));
                }
                raw.command = Some(flag.to_string());
            }
            other => return Err(format!("unknown argument '{other}'")),
        }
        i += 1;
    }
    raw.into_args().map(Some)
}

fn parse_servers(list: &str) -> Result<Vec<String>, String> {
    let parsed: Vec<String> = list
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    for server in &parsed {
        if server
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse::<u16>().ok())
            .is_none()
        {
            return Err(format!("bad server '{server}': expected HOST:PORT"));
        }
    }
    if parsed.is_empty() {
        return Err("--bootstrap-server needs at least one HOST:PORT".into());
    }
    Ok(parsed)
}

impl Raw {
    fn into_args(mut self) -> Result<ToolArgs, String> {
        let servers = self
            .servers
            .take()
            .ok_or("--bootstrap-server or --bootstrap-controller is required")?;
        let command = match self.command.as_deref() {
            Some("describe") => Command::Describe(self.view()?),
            Some("add-controller") => Command::AddController {
                // Kafka's words for a missing `--command-config`.
                config: self.config.ok_or(
                    "You must supply the configuration file of the controller you are adding \
                     when using add-controller.",
                )?,
                dry_run: self.dry_run,
            },
            Some("remove-controller") => {
                let id = self
                    .controller_id
                    .ok_or("remove-controller needs --controller-id")?;
                Command::RemoveController {
                    controller_id: id
                        .parse()
                        .map_err(|_| format!("--controller-id: '{id}' is not an integer"))?,
                    controller_directory_id: self
                        .controller_directory_id
                        .ok_or("remove-controller needs --controller-directory-id")?,
                    dry_run: self.dry_run,
                }
            }
            _ => {
                return Err(
                    "a command is required: describe, add-controller or remove-controller".into(),
                )
            }
        };
        Ok(ToolArgs {
            servers,
            command,
            timeout_ms: self.timeout_ms,
        })
    }

    /// Kafka's two refusals for `describe`.
    fn view(&self) -> Result<View, String> {
        match (self.status, self.replication) {
            (true, true) => Err("Only one of --status or --replication should be specified \
                                 with describe sub-command"
                .into()),
            (true, false) => Ok(View::Status),
            (false, true) => Ok(View::Replication),
            (false, false) => Err("One of --status or --replication must be specified with \
                                   describe sub-command"
                .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn parse(list: &[&str]) -> Result<ToolArgs, String> {
        parse_args(&args(list)).map(|a| a.expect("not help"))
    }

    #[test]
    fn parses_kafka_style_command_lines() {
        let parsed = parse(&[
            "--bootstrap-server",
            "localhost:9092,localhost:9093",
            "describe",
            "--status",
        ])
        .unwrap();
        assert_eq!(parsed.servers, vec!["localhost:9092", "localhost:9093"]);
        assert_eq!(parsed.command, Command::Describe(View::Status));
        let parsed = parse(&["--bootstrap-controller=h:1", "describe", "--replication"]).unwrap();
        assert_eq!(parsed.command, Command::Describe(View::Replication));
        assert_eq!(parse_args(&args(&["--help"])).unwrap(), None);
    }

    #[test]
    fn parses_the_voter_changes() {
        let parsed = parse(&[
            "--bootstrap-controller",
            "h:1",
            "--command-config",
            "c.properties",
            "add-controller",
        ])
        .unwrap();
        assert_eq!(
            parsed.command,
            Command::AddController {
                config: PathBuf::from("c.properties"),
                dry_run: false
            }
        );
        let parsed = parse(&[
            "add-controller",
            "--config=c.properties",
            "--dry-run",
            "--bootstrap-server=h:1",
        ])
        .unwrap();
        assert!(matches!(
            parsed.command,
            Command::AddController { dry_run: true, .. }
        ));
        let parsed = parse(&[
            "--bootstrap-controller",
            "h:1",
            "remove-controller",
            "-i",
            "3",
            "-d",
            "AAAAAAAAAAAAAAAAAAAAAA",
            "--timeout-ms",
            "100",
        ])
        .unwrap();
        assert_eq!(
            parsed.command,
            Command::RemoveController {
                controller_id: 3,
                controller_directory_id: "AAAAAAAAAAAAAAAAAAAAAA".into(),
                dry_run: false
            }
        );
        assert_eq!(parsed.timeout_ms, Some(100));
    }

    #[test]
    fn rejects_bad_command_lines() {
        let err = |list: &[&str]| parse(list).unwrap_err();
        assert!(err(&["describe", "--status"]).contains("--bootstrap-server"));
        assert!(err(&["--bootstrap-server", "nohost", "describe", "--status"]).contains("nohost"));
        assert!(err(&["--bootstrap-server", "h:1", "describe"]).contains("One of --status"));
        assert!(err(&[
            "--bootstrap-server",
            "h:1",
            "describe",
            "--status",
            "--replication"
        ])
        .contains("Only one of"));
        assert!(err(&["--bootstrap-server", "h:1", "--status"]).contains("a command is required"));
        assert!(err(&["--bootstrap-server", "h:1", "add-controller"])
            .contains("You must supply the configuration file"));
        assert!(
            err(&["--bootstrap-server", "h:1", "remove-controller", "-i", "1"])
                .contains("--controller-directory-id")
        );
        assert!(
            err(&["--bootstrap-server", "h:1", "remove-controller", "-d", "x"])
                .contains("--controller-id")
        );
        assert!(err(&[
            "--bootstrap-server",
            "h:1",
            "remove-controller",
            "-i",
            "one",
            "-d",
            "x"
        ])
        .contains("not an integer"));
        assert!(
            err(&["--bootstrap-server", "h:1", "describe", "add-controller"])
                .contains("two commands")
        );
        assert!(err(&[
            "--bootstrap-server",
            "h:1",
            "remove-controller",
            "--unregister"
        ])
        .contains("--unregister is not supported"));
    }
}
