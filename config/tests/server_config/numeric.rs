//! Validation of numeric keys: node id, quorum timings, snapshot keys,
//! segment sizes and connection limits, each error naming key, line and token.

use super::*;

#[test]
fn missing_node_id_names_key_and_file() {
    let (error, message) = err("listeners=PLAINTEXT://localhost:9092\n");
    assert_eq!(error.key(), Some("node.id"));
    assert_eq!(error.kind(), Some(&ConfigErrorKind::Missing));
    assert!(message.contains("node.id"), "{message}");
    assert!(message.contains("server.properties"), "{message}");
}

#[test]
fn non_numeric_node_id_quotes_the_token_and_line() {
    let (error, message) = err(&BASE.replace("node.id=1", "node.id=one"));
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::NotANumber {
            token: "one".into()
        })
    );
    assert!(message.contains("server.properties:1"), "{message}");
    assert!(message.contains("`one`"), "{message}");
}

#[test]
fn negative_node_id_is_out_of_range() {
    let (error, _) = err(&BASE.replace("node.id=1", "node.id=-1"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::OutOfRange { value: -1, .. })
    ));
}

#[test]
fn non_numeric_timings_are_rejected_with_key_line_and_token() {
    for key in [
        "controller.quorum.election.timeout.ms",
        "controller.quorum.fetch.timeout.ms",
        "controller.quorum.election.backoff.max.ms",
        "controller.quorum.append.linger.ms",
        "controller.quorum.request.timeout.ms",
        "controller.quorum.retry.backoff.ms",
    ] {
        let (error, message) = err(&with(&format!("{key}=10s")));
        assert_eq!(error.key(), Some(key));
        assert_eq!(
            error.kind(),
            Some(&ConfigErrorKind::NotANumber {
                token: "10s".into()
            })
        );
        assert!(message.contains("server.properties:5"), "{message}");
        assert!(message.contains(key), "{message}");
        assert!(message.contains("`10s`"), "{message}");
    }
}

#[test]
fn timings_out_of_range_are_rejected() {
    let (error, _) = err(&with("controller.quorum.election.timeout.ms=0"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::OutOfRange {
            value: 0,
            min: 1,
            ..
        })
    ));
    let (error, _) = err(&with("controller.quorum.fetch.timeout.ms=3000000000"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::OutOfRange { .. })
    ));
    let (error, _) = err(&with("controller.quorum.append.linger.ms=-5"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::OutOfRange { value: -5, .. })
    ));
}

#[test]
fn snapshot_keys_out_of_range_are_rejected_as_kafka_does() {
    for (line, value) in [
        ("metadata.log.max.record.bytes.between.snapshots=0", 0),
        ("metadata.log.max.snapshot.interval.ms=-1", -1),
        ("controller.quorum.fetch.snapshot.max.bytes=0", 0),
    ] {
        let (error, message) = err(&with(line));
        assert!(
            matches!(error.kind(), Some(ConfigErrorKind::OutOfRange { value: v, .. }) if *v == value),
            "{line}: {message}"
        );
        assert!(
            message.contains(line.split('=').next().unwrap()),
            "{message}"
        );
    }
    let (error, _) = err(&with("metadata.log.max.record.bytes.between.snapshots=1MB"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::NotANumber { .. })
    ));
    // Kafka's retention LONGs have no validator: every negative value means "no limit".
    let config = ok(&with(
        "metadata.max.retention.bytes=-7\nmetadata.max.retention.ms=-2",
    ));
    assert_eq!(config.metadata_max_retention_bytes, -7);
    assert_eq!(config.metadata_max_retention_ms, -2);
}

#[test]
fn segment_bytes_below_the_minimum_are_rejected() {
    let (error, _) = err(&with("metadata.log.segment.bytes=1048576"));
    assert_eq!(error.key(), Some("metadata.log.segment.bytes"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::OutOfRange { min: 8388608, .. })
    ));
    // The default is checked against a raised minimum too.
    let (error, _) = err(&with("metadata.log.segment.min.bytes=2000000000"));
    assert_eq!(error.key(), Some("metadata.log.segment.bytes"));
    let (error, _) = err(&with("metadata.log.segment.min.bytes=4"));
    assert_eq!(error.key(), Some("metadata.log.segment.min.bytes"));
}

#[test]
fn connection_limits_default_to_kafkas_and_can_be_set() {
    let config = ok(BASE);
    assert_eq!(config.max_connections, 2_147_483_647);
    assert_eq!(config.max_connections_per_ip, 2_147_483_647);
    assert_eq!(config.connections_max_idle_ms, Some(600_000));
    let config = ok(&with(
        "max.connections=10\nmax.connections.per.ip=3\nconnections.max.idle.ms=1500",
    ));
    assert_eq!(config.max_connections, 10);
    assert_eq!(config.max_connections_per_ip, 3);
    assert_eq!(config.connections_max_idle_ms, Some(1500));
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    // A negative idle time turns idle expiry off, as in Kafka's Selector.
    let config = ok(&with("connections.max.idle.ms=-1"));
    assert_eq!(config.connections_max_idle_ms, None);
}

#[test]
fn connection_limits_out_of_range_or_not_numbers_are_rejected() {
    for key in ["max.connections", "max.connections.per.ip"] {
        let (error, message) = err(&with(&format!("{key}=0")));
        assert_eq!(error.key(), Some(key));
        assert!(matches!(
            error.kind(),
            Some(ConfigErrorKind::OutOfRange {
                value: 0,
                min: 1,
                max: 2_147_483_647
            })
        ));
        assert!(message.contains("server.properties:5"), "{message}");
        let (error, _) = err(&with(&format!("{key}=2147483648")));
        assert!(matches!(
            error.kind(),
            Some(ConfigErrorKind::OutOfRange { .. })
        ));
        let (error, _) = err(&with(&format!("{key}=many")));
        assert!(matches!(
            error.kind(),
            Some(ConfigErrorKind::NotANumber { .. })
        ));
    }
    let (error, _) = err(&with("connections.max.idle.ms=10m"));
    assert_eq!(error.key(), Some("connections.max.idle.ms"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::NotANumber { .. })
    ));
}
