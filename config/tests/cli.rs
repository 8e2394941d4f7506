//! Command line of the server binary.

use std::path::PathBuf;

use kraft_config::cli::{
    CliAction, CliError, ServerArgs, DEFAULT_RECORD_SIZE_BYTES, DEFAULT_THROUGHPUT_RECORDS_PER_SEC,
    MAX_RECORD_SIZE_BYTES, USAGE,
};
use kraft_config::Uuid;

fn run(args: &[&str]) -> ServerArgs {
    match ServerArgs::parse(args.iter().copied()) {
        Ok(CliAction::Run(args)) => args,
        other => panic!("{args:?}: unexpected {other:?}"),
    }
}

fn fail(args: &[&str]) -> CliError {
    let error = ServerArgs::parse(args.iter().copied()).expect_err("should fail");
    assert!(!error.to_string().contains('\n'), "one line: {error}");
    error
}

#[test]
fn defaults_are_test_raft_servers() {
    let args = run(&["--config", "c.properties"]);
    assert_eq!(args.config, PathBuf::from("c.properties"));
    assert_eq!(args.throughput_records_per_sec, 5000);
    assert_eq!(args.record_size_bytes, 256);
    assert_eq!(DEFAULT_THROUGHPUT_RECORDS_PER_SEC, 5000);
    assert_eq!(DEFAULT_RECORD_SIZE_BYTES, 256);
    assert_eq!(args.replica_directory_id, None);
}

#[test]
fn separate_and_inline_values() {
    let args = run(&[
        "--config=a.properties",
        "--throughput",
        "100",
        "--record-size=1024",
        "--replica-directory-id",
        "AAAAAAAAAAAAAAAAAAAAAQ",
    ]);
    assert_eq!(args.config, PathBuf::from("a.properties"));
    assert_eq!(args.throughput_records_per_sec, 100);
    assert_eq!(args.record_size_bytes, 1024);
    assert_eq!(args.replica_directory_id, Some(Uuid::from_parts(0, 1)));
}

#[test]
fn last_occurrence_wins() {
    let args = run(&["--throughput", "1", "--config", "x", "--throughput=2"]);
    assert_eq!(args.throughput_records_per_sec, 2);
}

#[test]
fn help_wins_and_usage_names_the_options() {
    assert_eq!(ServerArgs::parse(["--help"]), Ok(CliAction::Help));
    assert_eq!(ServerArgs::parse(["-h"]), Ok(CliAction::Help));
    assert_eq!(
        ServerArgs::parse(["--throughput", "bad", "--help"]),
        Ok(CliAction::Help)
    );
    for option in [
        "--config",
        "--throughput",
        "--record-size",
        "--replica-directory-id",
    ] {
        assert!(USAGE.contains(option), "{option}");
    }
}

#[test]
fn config_is_required() {
    assert_eq!(fail(&[]), CliError::MissingConfig);
    assert_eq!(fail(&["--throughput", "5"]), CliError::MissingConfig);
    assert!(fail(&[]).to_string().contains("--config"));
}

#[test]
fn flag_without_value() {
    assert_eq!(
        fail(&["--config"]),
        CliError::MissingValue {
            flag: "--config".into()
        }
    );
    assert!(matches!(
        fail(&["--config", "x", "--record-size"]),
        CliError::MissingValue { .. }
    ));
}

#[test]
fn bad_values_are_quoted() {
    for (args, flag, token) in [
        (
            &["--config", "x", "--throughput", "fast"][..],
            "--throughput",
            "fast",
        ),
        (
            &["--config", "x", "--throughput", "0"][..],
            "--throughput",
            "0",
        ),
        (
            &["--config", "x", "--throughput=-5"][..],
            "--throughput",
            "-5",
        ),
        (
            &["--config", "x", "--record-size", "1.5"][..],
            "--record-size",
            "1.5",
        ),
        (
            &["--config", "x", "--record-size", "99999999"][..],
            "--record-size",
            "99999999",
        ),
        (
            &["--config", "x", "--replica-directory-id", "nope"][..],
            "--replica-directory-id",
            "nope",
        ),
        (&["--config="][..], "--config", ""),
    ] {
        let error = fail(args);
        match &error {
            CliError::BadValue {
                flag: f, token: t, ..
            } => {
                assert_eq!((f.as_str(), t.as_str()), (flag, token), "{args:?}")
            }
            other => panic!("{args:?}: unexpected {other:?}"),
        }
        assert!(error.to_string().contains(&format!("`{token}`")));
        assert!(error.to_string().contains(flag));
    }
}

#[test]
fn record_size_limits() {
    assert_eq!(
        run(&["--config", "x", "--record-size", "0"]).record_size_bytes,
        0
    );
    let max = MAX_RECORD_SIZE_BYTES.to_string();
    assert_eq!(
        run(&["--config", "x", "--record-size", &max]).record_size_bytes,
        MAX_RECORD_SIZE_BYTES
    );
}

#[test]
fn unknown_arguments_are_rejected() {
    assert_eq!(
        fail(&["--config", "x", "--verbose"]),
        CliError::UnknownArgument {
            token: "--verbose".into()
        }
    );
    assert!(matches!(
        fail(&["stray", "--config", "x"]),
        CliError::UnknownArgument { .. }
    ));
    assert!(matches!(
        fail(&["--config", "x", "--nope=1"]),
        CliError::UnknownArgument { .. }
    ));
}

#[test]
fn too_many_arguments_are_rejected() {
    let many: Vec<&str> = std::iter::repeat_n(["--throughput", "1"], 40)
        .flatten()
        .collect();
    assert!(matches!(fail(&many), CliError::UnknownArgument { .. }));
}

#[cfg(unix)]
#[test]
fn non_unicode_argument_is_rejected() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let args = vec![
        OsString::from("--config"),
        OsString::from_vec(vec![0xff, 0xfe]),
    ];
    assert!(matches!(
        ServerArgs::parse(args),
        Err(CliError::NotUnicode { .. })
    ));
}
