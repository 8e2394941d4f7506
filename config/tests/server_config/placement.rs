//! CPU placement keys: missing CPUs, malformed values, the default
//! placement and CPU sets shared by roles.

use super::*;

#[test]
fn cpu_the_machine_lacks_is_rejected() {
    let text = with("kraft.cpu.network=7");
    let error = ServerConfig::parse_str(&text, "server.properties", &cpus(2)).unwrap_err();
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::CpuNotAvailable {
            cpu: 7,
            available: vec![0, 1]
        })
    );
    let message = error.to_string();
    assert!(message.contains("kraft.cpu.network"), "{message}");
    assert!(message.contains("server.properties:5"), "{message}");
    assert!(message.contains("CPU 7"), "{message}");
    // A CPU outside the affinity mask counts as missing even if lower.
    let error = ServerConfig::parse_str(&with("kraft.cpu.raft=1"), "f", &HostCpus::new(vec![2, 3]))
        .unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::CpuNotAvailable { cpu: 1, .. })
    ));
}

#[test]
fn non_numeric_cpu_and_spin_are_rejected() {
    for bad in ["first", "0-", "2-1", "0,,1", "-1", "99999"] {
        let (error, message) = err(&with(&format!("kraft.cpu.log={bad}")));
        assert!(
            matches!(error.kind(), Some(ConfigErrorKind::InvalidCpuSet { token, .. }) if token == bad),
            "{bad}: {message}"
        );
        assert!(message.contains("kraft.cpu.log"), "{message}");
    }
    let (error, _) = err(&with("kraft.executor.spin=yes"));
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::NotABoolean {
            token: "yes".into()
        })
    );
}

#[test]
fn default_placement_shares_cpus_when_there_are_few() {
    let one = ServerConfig::parse_str(BASE, "f", &cpus(1))
        .unwrap()
        .placement;
    assert_eq!(singles(&one), (0, 0, 0));
    assert_eq!(
        one.executors(),
        [ExecutorPlan {
            cpus: CpuSet::one(0),
            roles: vec![Role::Raft, Role::Network, Role::Log]
        }]
    );

    let two = ServerConfig::parse_str(BASE, "f", &cpus(2))
        .unwrap()
        .placement;
    assert_eq!(singles(&two), (0, 1, 0));
    assert!(two.shares_executor(Role::Raft, Role::Log));
    assert_eq!(
        two.executors(),
        [
            ExecutorPlan {
                cpus: CpuSet::one(0),
                roles: vec![Role::Raft, Role::Log]
            },
            ExecutorPlan {
                cpus: CpuSet::one(1),
                roles: vec![Role::Network]
            }
        ]
    );

    let four = ServerConfig::parse_str(BASE, "f", &cpus(4))
        .unwrap()
        .placement;
    assert_eq!(singles(&four), (0, 1, 2));
    assert_eq!(four.executors().len(), 3);

    // Defaults follow the affinity mask, not CPU 0.
    let masked = ServerConfig::parse_str(BASE, "f", &HostCpus::new(vec![5, 3]))
        .unwrap()
        .placement;
    assert_eq!(singles(&masked), (3, 5, 3));
}

/// The single CPU of each role (raft, network, log).
fn singles(p: &Placement) -> (usize, usize, usize) {
    let one = |set: &CpuSet| set.single().expect("one CPU");
    (one(&p.raft_cpus), one(&p.network_cpus), one(&p.log_cpus))
}

#[test]
fn cpu_sets_let_roles_share_a_fenced_executor() {
    let text = with(
        "kraft.cpu.raft=0-1
kraft.cpu.network=1, 0
kraft.cpu.log=0-1",
    );
    let placement = ServerConfig::parse_str(&text, "f", &cpus(2))
        .unwrap()
        .placement;
    assert_eq!(placement.raft_cpus.ids(), &[0, 1]);
    assert_eq!(
        placement.network_cpus, placement.raft_cpus,
        "order does not matter"
    );
    assert_eq!(
        placement.executors(),
        [ExecutorPlan {
            cpus: CpuSet::parse("0,1").unwrap(),
            roles: vec![Role::Raft, Role::Network, Role::Log]
        }]
    );
    assert_eq!(placement.raft_cpus.single(), None);
    // Every CPU of a set must be available.
    let error = ServerConfig::parse_str(&with("kraft.cpu.raft=0-2"), "f", &cpus(2)).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::CpuNotAvailable { cpu: 2, .. })
    ));
}

#[test]
fn cpu_sets_print_canonically() {
    for (text, shown) in [
        ("3", "3"),
        ("1,0", "0,1"),
        ("0-3,6", "0-3,6"),
        ("5, 4, 6, 6", "4-6"),
        ("0,2-3,7", "0,2,3,7"),
    ] {
        let set = CpuSet::parse(text).unwrap();
        assert_eq!(set.to_string(), shown, "{text}");
        assert_eq!(CpuSet::parse(shown).unwrap(), set, "{text} round trip");
    }
}

#[test]
fn detected_cpus_are_usable() {
    let detected = HostCpus::detect();
    assert!(!detected.ids().is_empty());
    let config = ServerConfig::parse_str(BASE, "f", &detected).unwrap();
    assert!(config
        .placement
        .raft_cpus
        .ids()
        .iter()
        .all(|&cpu| detected.contains(cpu)));
}
