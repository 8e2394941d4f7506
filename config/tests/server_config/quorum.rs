//! The listener and quorum key families: voters, listeners, controller
//! listener names, the security protocol map, process roles, bootstrap
//! servers, and the observer warnings.

use super::*;

#[test]
fn malformed_voter_entries_are_quoted() {
    for (voters, token) in [
        ("1@localhost:9092,2localhost:9093", "2localhost:9093"),
        ("1@localhost", "1@localhost"),
        ("x@localhost:9092", "x@localhost:9092"),
        ("-1@localhost:9092", "-1@localhost:9092"),
        ("1@localhost:port", "1@localhost:port"),
        ("1@localhost:0", "1@localhost:0"),
        ("1@localhost:70000", "1@localhost:70000"),
        ("1@:9092", "1@:9092"),
        ("1@a@b:9092", "1@a@b:9092"),
        ("1@::1:9092", "1@::1:9092"),
        ("1@[::1:9092", "1@[::1:9092"),
        ("1@local/host:9092", "1@local/host:9092"),
    ] {
        let (error, message) =
            err(&BASE.replace("1@localhost:9092,2@localhost:9093,3@localhost:9094", voters));
        match error.kind() {
            Some(ConfigErrorKind::MalformedVoter { token: got, .. }) => {
                assert_eq!(got, token, "for {voters}")
            }
            other => panic!("for {voters}: unexpected {other:?}"),
        }
        assert!(message.contains(&format!("`{token}`")), "{message}");
        assert!(message.contains("server.properties:4"), "{message}");
        assert!(message.contains("controller.quorum.voters"), "{message}");
    }
}

#[test]
fn ipv6_voters_in_brackets_parse() {
    let config = ok(&BASE.replace(
        "1@localhost:9092,2@localhost:9093,3@localhost:9094",
        "1@[::1]:9092",
    ));
    assert_eq!(config.voters()[0].host, "::1");
}

#[test]
fn duplicate_voter_ids_are_rejected() {
    let (error, _) = err(&BASE.replace("3@localhost:9094", "2@localhost:9094"));
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::DuplicateVoter { id: 2 })
    );
}

#[test]
fn malformed_listeners_are_quoted() {
    for listener in [
        "localhost:9092",
        "://localhost:9092",
        "PLAINTEXT://localhost",
        "PLAINTEXT://localhost:x",
    ] {
        let (error, message) = err(&BASE.replace("PLAINTEXT://localhost:9092", listener));
        assert!(
            matches!(error.kind(), Some(ConfigErrorKind::MalformedListener { token, .. }) if token == listener),
            "{listener}: {error:?}"
        );
        assert!(message.contains("server.properties:2"), "{message}");
    }
}

#[test]
fn duplicate_listener_names_are_rejected() {
    let (error, _) = err(&BASE.replace(
        "PLAINTEXT://localhost:9092",
        "PLAINTEXT://localhost:9092,plaintext://localhost:9093",
    ));
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::DuplicateListener {
            name: "PLAINTEXT".into()
        })
    );
}

#[test]
fn controller_listener_missing_from_listeners_is_named() {
    let (error, message) = err(&BASE.replace(
        "controller.listener.names=PLAINTEXT",
        "controller.listener.names=CONTROLLER",
    ));
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::UnknownControllerListener {
            name: "CONTROLLER".into(),
            defined: vec!["PLAINTEXT".into()]
        })
    );
    assert!(message.contains("server.properties:3"), "{message}");
    assert!(message.contains("`CONTROLLER`"), "{message}");
    assert!(message.contains("controller.listener.names"), "{message}");
}

#[test]
fn missing_controller_listener_names_is_an_error() {
    let (error, _) = err(&BASE.replace("controller.listener.names=PLAINTEXT\n", ""));
    assert_eq!(error.key(), Some("controller.listener.names"));
    assert_eq!(error.kind(), Some(&ConfigErrorKind::Missing));
}

#[test]
fn default_listener_is_plaintext_on_9092() {
    let config = ok(&BASE.replace("listeners=PLAINTEXT://localhost:9092\n", ""));
    assert_eq!(config.raft_listener(), ("", 9092));
}

#[test]
fn security_protocol_map() {
    // Not set: a controller listener name that is not a protocol means PLAINTEXT.
    let text = "node.id=1\nlisteners=CONTROLLER://h:1\ncontroller.listener.names=CONTROLLER\ncontroller.quorum.voters=1@h:1\n";
    ok(text);
    ok(&format!(
        "{text}listener.security.protocol.map=CONTROLLER:PLAINTEXT\n"
    ));
    let (error, _) = err(&format!(
        "{text}listener.security.protocol.map=CONTROLLER:SSL\n"
    ));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::UnsupportedSecurityProtocol { protocol, .. }) if protocol == "SSL"
    ));
    let (error, _) = err(&format!(
        "{text}listener.security.protocol.map=OTHER:PLAINTEXT\n"
    ));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::NoSecurityProtocol { .. })
    ));
    let (error, _) = err(&format!(
        "{text}listener.security.protocol.map=CONTROLLER\n"
    ));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::MalformedProtocolMapEntry { .. })
    ));
    // SSL listener without a map: its protocol is SSL, which is not served.
    let (error, _) = err("node.id=1\nlisteners=SSL://h:1\ncontroller.listener.names=SSL\ncontroller.quorum.voters=1@h:1\n");
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::UnsupportedSecurityProtocol { .. })
    ));
}

#[test]
fn unknown_process_role_is_rejected() {
    let (error, message) = err(&with("process.roles=controller,worker"));
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::UnknownRole {
            token: "worker".into()
        })
    );
    assert!(message.contains("`worker`"), "{message}");
}

#[test]
fn broker_role_is_accepted_with_a_warning() {
    let config = ok(&with("process.roles=broker,controller"));
    assert_eq!(
        config.process_roles,
        [ProcessRole::Broker, ProcessRole::Controller]
    );
    assert!(
        config.warnings.iter().any(|w| w.contains("process.roles")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn no_voters_and_no_bootstrap_servers_is_an_error() {
    let (error, message) = err(&BASE.replace(
        "controller.quorum.voters=1@localhost:9092,2@localhost:9093,3@localhost:9094\n",
        "",
    ));
    assert_eq!(error.kind(), Some(&ConfigErrorKind::NoQuorum));
    assert!(
        message.contains("controller.quorum.bootstrap.servers"),
        "{message}"
    );
}

#[test]
fn bootstrap_servers_only_makes_an_observer() {
    let config = ok("node.id=4\nlisteners=PLAINTEXT://localhost:9095\ncontroller.listener.names=PLAINTEXT\ncontroller.quorum.bootstrap.servers=localhost:9092, [::1]:9093\n");
    assert!(!config.is_voter());
    assert_eq!(config.quorum.bootstrap_servers.len(), 2);
    assert_eq!(config.quorum.bootstrap_servers[1].host, "::1");
    assert_eq!(config.quorum.bootstrap_servers[1].port, 9093);
    assert!(config.warnings.iter().any(|w| w.contains("observer")));
}

#[test]
fn malformed_bootstrap_server_is_quoted() {
    let (error, message) = err(&with("controller.quorum.bootstrap.servers=localhost"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::MalformedHostPort { token, .. }) if token == "localhost"
    ));
    assert!(message.contains("server.properties:5"), "{message}");
}

#[test]
fn both_voters_and_bootstrap_servers_warn() {
    let config = ok(&with("controller.quorum.bootstrap.servers=localhost:9092"));
    assert!(config.is_voter());
    assert!(config
        .warnings
        .iter()
        .any(|w| w.contains("static voter set is used")));
}

#[test]
fn node_not_among_voters_runs_as_observer() {
    let config = ok(&BASE.replace("node.id=1", "node.id=9"));
    assert!(!config.is_voter());
    let warning = config
        .warnings
        .iter()
        .find(|w| w.contains("observer"))
        .expect("observer warning");
    assert!(warning.contains("node.id 9"), "{warning}");
    assert!(warning.contains("1, 2, 3"), "{warning}");
}

#[test]
fn voter_entry_on_another_port_than_the_listener_warns() {
    let config = ok(&BASE.replace("node.id=1", "node.id=2"));
    assert!(config.is_voter());
    assert!(
        config.warnings.iter().any(|w| w.contains("another port")),
        "{:?}",
        config.warnings
    );
}

/// KIP-1186's switch: off unless set, as in Kafka; anything but a boolean is refused.
#[test]
fn auto_join_defaults_to_false_and_is_a_boolean() {
    assert!(!ok(BASE).quorum.auto_join);
    assert!(
        ok(&with("controller.quorum.auto.join.enable=true"))
            .quorum
            .auto_join
    );
    let (error, message) = err(&with("controller.quorum.auto.join.enable=yes"));
    assert!(
        matches!(error.kind(), Some(ConfigErrorKind::NotABoolean { .. })),
        "{error:?}"
    );
    assert!(
        message.contains("controller.quorum.auto.join.enable"),
        "{message}"
    );
}

/// The voter endpoint a dynamic node advertises: its `advertised.listeners` entry for the Raft
/// listener, else the `listeners` entry.
#[test]
fn the_raft_listener_is_advertised_as_configured() {
    let plain = ok(BASE);
    let (host, port) = plain.raft_listener();
    let advertised = plain.advertised_raft_listener();
    assert_eq!((advertised.host.as_str(), advertised.port), (host, port));
    let text = with("advertised.listeners=PLAINTEXT://node1.example:19092");
    let config = ok(&text);
    let advertised = config.advertised_raft_listener();
    assert_eq!(
        (
            advertised.name.as_str(),
            advertised.host.as_str(),
            advertised.port
        ),
        ("PLAINTEXT", "node1.example", 19092)
    );
    let (error, _) = err(&with("advertised.listeners=PLAINTEXT:/node1:1"));
    assert!(
        matches!(
            error.kind(),
            Some(ConfigErrorKind::MalformedListener { .. })
        ),
        "{error:?}"
    );
}
