//! The command line of `kraft-storage`, in the shape of Kafka's `kafka-storage` (argparse4j):
//! a command, then its options, long or short (`--config`/`-c`, `--cluster-id`/`-t`,
//! `--ignore-formatted`/`-g`, `--standalone`/`-s`, `--no-initial-controllers`/`-N`,
//! `--initial-controllers`/`-I`), values after a space or an `=`. Errors read as argparse4j's.

use std::path::PathBuf;

/// How the metadata directory's quorum is set up (Kafka's mutually exclusive group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuorumSetup {
    /// None of the three flags: allowed only with `controller.quorum.voters`.
    Unspecified,
    Standalone,
    NoInitialControllers,
    /// The raw `--initial-controllers` value, parsed by [`super::initial_controllers`].
    InitialControllers(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatArgs {
    pub config: PathBuf,
    pub cluster_id: String,
    pub ignore_formatted: bool,
    pub quorum: QuorumSetup,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    RandomUuid,
    Format(FormatArgs),
}

const QUORUM_FLAGS: [(&str, &str); 3] = [
    ("--standalone", "-s"),
    ("--no-initial-controllers", "-N"),
    ("--initial-controllers", "-I"),
];

/// `argument --standalone/-s` as argparse4j names an option.
fn option_name(long: &str) -> String {
    let short = QUORUM_FLAGS
        .iter()
        .chain(&[
            ("--config", "-c"),
            ("--cluster-id", "-t"),
            ("--ignore-formatted", "-g"),
        ])
        .find(|(l, _)| *l == long)
        .map_or("", |(_, s)| s);
    format!("argument {long}/{short}")
}

/// The long name of `flag` (long or short), if it is one of format's options.
fn long_name(flag: &str) -> Option<&'static str> {
    const ALL: [(&str, &str); 6] = [
        ("--config", "-c"),
        ("--cluster-id", "-t"),
        ("--ignore-formatted", "-g"),
        ("--standalone", "-s"),
        ("--no-initial-controllers", "-N"),
        ("--initial-controllers", "-I"),
    ];
    ALL.iter()
        .find(|(long, short)| flag == *long || flag == *short)
        .map(|(long, _)| *long)
}

/// Parses the command line (without the program name).
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some(command) = args.first() else {
        return Err("too few arguments: expected a command (format or random-uuid)".into());
    };
    match command.as_str() {
        "-h" | "--help" => Ok(Command::Help),
        "random-uuid" => match args.get(1).map(String::as_str) {
            None => Ok(Command::RandomUuid),
            Some("-h" | "--help") => Ok(Command::Help),
            Some(other) => Err(format!("unrecognized arguments: '{other}'")),
        },
        "format" => parse_format(&args[1..]),
        "info" | "version-mapping" | "feature-dependencies" => Err(format!(
            "command '{command}' of kafka-storage is not supported by kraft-storage \
             (this node has no metadata.version or features): use format or random-uuid"
        )),
        other => Err(format!(
            "argument command: invalid choice: '{other}' (choose from 'format', 'random-uuid')"
        )),
    }
}

fn parse_format(args: &[String]) -> Result<Command, String> {
    let mut config = None;
    let mut cluster_id = None;
    let mut ignore_formatted = false;
    let mut quorum: Option<(&'static str, QuorumSetup)> = None;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with('-') => (f, Some(v.to_string())),
            _ => (arg, None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        let long = long_name(flag).ok_or_else(|| unsupported(arg, flag))?;
        let mut value = || -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("{}: expected one argument", option_name(long)))
        };
        let setup = match long {
            "--config" => {
                config = Some(PathBuf::from(value()?));
                None
            }
            "--cluster-id" => {
                cluster_id = Some(value()?);
                None
            }
            "--ignore-formatted" => {
                ignore_formatted = true;
                None
            }
            "--standalone" => Some(QuorumSetup::Standalone),
            "--no-initial-controllers" => Some(QuorumSetup::NoInitialControllers),
            _ => Some(QuorumSetup::InitialControllers(value()?)),
        };
        if let Some(setup) = setup {
            if let Some((previous, _)) = quorum.as_ref().filter(|(p, _)| *p != long) {
                return Err(format!(
                    "{}: not allowed with {}",
                    option_name(long),
                    option_name(previous)
                ));
            }
            quorum = Some((long, setup));
        }
        i += 1;
    }
    let config = config.ok_or_else(|| format!("{} is required", option_name("--config")))?;
    let cluster_id =
        cluster_id.ok_or_else(|| format!("{} is required", option_name("--cluster-id")))?;
    Ok(Command::Format(FormatArgs {
        config,
        cluster_id,
        ignore_formatted,
        quorum: quorum.map_or(QuorumSetup::Unspecified, |(_, setup)| setup),
    }))
}

/// Kafka's options this tool does not carry, named as such; anything else is unrecognized.
fn unsupported(arg: &str, flag: &str) -> String {
    match flag {
        "--release-version" | "-r" | "--feature" | "-f" => format!(
            "{flag} is not supported by kraft-storage: this node has no metadata.version; \
             kraft.version is 1 with --standalone or --initial-controllers, 0 otherwise"
        ),
        "--add-scram" | "-S" => {
            format!("{flag} is not supported by kraft-storage: this node has no metadata log")
        }
        _ => format!("unrecognized arguments: '{arg}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn format_with_long_short_and_inline_values() {
        let parsed = parse(&args("format -c s.properties --cluster-id=abc -g -s")).unwrap();
        assert_eq!(
            parsed,
            Command::Format(FormatArgs {
                config: "s.properties".into(),
                cluster_id: "abc".into(),
                ignore_formatted: true,
                quorum: QuorumSetup::Standalone,
            })
        );
        let parsed = parse(&args(
            "format -t x -I 1@h:1:AAAAAAAAAAAAAAAAAAAAAA --config c",
        ))
        .unwrap();
        let Command::Format(format) = parsed else {
            panic!("{parsed:?}")
        };
        assert_eq!(
            format.quorum,
            QuorumSetup::InitialControllers("1@h:1:AAAAAAAAAAAAAAAAAAAAAA".into())
        );
        assert_eq!(parse(&args("random-uuid")).unwrap(), Command::RandomUuid);
    }

    #[test]
    fn errors_read_as_argparse4j() {
        let err = parse(&args("format -c c -t x --standalone -N")).unwrap_err();
        assert_eq!(
            err,
            "argument --no-initial-controllers/-N: not allowed with argument --standalone/-s"
        );
        let err = parse(&args("format -c c")).unwrap_err();
        assert_eq!(err, "argument --cluster-id/-t is required");
        let err = parse(&args("format -t x")).unwrap_err();
        assert_eq!(err, "argument --config/-c is required");
        let err = parse(&args("format -c c -t")).unwrap_err();
        assert_eq!(err, "argument --cluster-id/-t: expected one argument");
        assert!(parse(&args("format -c c -t x --bogus"))
            .unwrap_err()
            .contains("unrecognized arguments: '--bogus'"));
        assert!(parse(&args("format -c c -t x --release-version 4.0"))
            .unwrap_err()
            .contains("not supported"));
        assert!(parse(&args("nope")).unwrap_err().contains("invalid choice"));
        assert!(parse(&[]).is_err());
    }
}
