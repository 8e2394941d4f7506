//! Issue 16 on real processes, voter changes through the runtime: an observer with
//! `controller.quorum.auto.join.enable=true` is added (KIP-1186) and, once removed by the
//! operator, stays out (KAFKA-19850); a voter set grown by Kafka's own `kafka-metadata-quorum
//! add-controller` against our leader survives restarts from the log.

mod support;

use std::time::Duration;

use kraft_interop::kafka::{versions_under_test, Kafka};
use support::dynamic::{
    directory_id, format, logged_voter_sets, start_leader, storage, write_config, LOAD, REPORT,
    WAIT,
};
use support::{free_ports, poll, quorum_status, read_log, read_log_to, Server};

/// KIP-1186 through the runtime: an observer with `controller.quorum.auto.join.enable=true` is
/// added by the leader (AddRaftVoter, the leader's ApiVersions to it through the address book)
/// and both then see the voter set [1, 2]; the new voter keeps replicating.
#[test]
fn an_auto_joining_observer_becomes_a_voter() {
    let root = tempfile::tempdir().unwrap();
    let ports = free_ports(2);
    let (leader_config, leader_dir) = write_config(root.path(), 1, ports[0], ports[0], "");
    let auto_join = "controller.quorum.auto.join.enable=true";
    let (joiner_config, joiner_dir) = write_config(root.path(), 2, ports[1], ports[0], auto_join);
    let cluster_id = storage(&["random-uuid"]).trim().to_string();
    format(&leader_config, &cluster_id, "--standalone");
    format(&joiner_config, &cluster_id, "--no-initial-controllers");
    let mut leader = start_leader(1, &leader_config, &leader_dir);
    let mut joiner = support::start(2, &joiner_config, &joiner_dir, &[]);
    let joined = |server: &Server| {
        server.wait_for_line(WAIT, |l| {
            l.contains("kraft.version 1, voters [1, 2]") && !l.contains("observer")
        })
    };
    assert!(
        joined(&joiner).is_some(),
        "node 2 did not join; its stderr:\n{}\nleader's:\n{}",
        joiner.stderr(),
        leader.stderr()
    );
    assert!(joined(&leader).is_some(), "{}", leader.stderr());
    let servers = [format!("127.0.0.1:{}", ports[0])];
    let (_, _, high_watermark) = quorum_status(&servers).expect("DescribeQuorum");
    let caught_up = poll(WAIT, || {
        let log = read_log_to(&joiner.partition_dir(), 0);
        log.last()
            .is_some_and(|b| b.last_offset >= high_watermark)
            .then_some(())
    });
    assert!(
        caught_up.is_some(),
        "new voter behind; stderr:\n{}",
        joiner.stderr()
    );
    for server in [&mut joiner, &mut leader] {
        let status = server.terminate(Duration::from_secs(15));
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(0),
            "{}",
            server.stderr()
        );
    }
    let voter_sets = logged_voter_sets(&read_log(&leader.partition_dir()));
    assert_eq!(voter_sets.last(), Some(&vec![1, 2]), "{voter_sets:?}");
}

/// KAFKA-19850 through the runtime: a voter that auto-joined and is then removed by the
/// operator (Kafka's `kafka-metadata-quorum remove-controller` against our leader) goes back to
/// being an observer and does not add itself again; the leader keeps committing alone.
#[test]
fn an_auto_joined_voter_removed_by_the_operator_stays_out() {
    let test = "an_auto_joined_voter_removed_by_the_operator_stays_out";
    let Some(version) = versions_under_test().into_iter().next() else {
        return;
    };
    let Some(kafka) = Kafka::locate(test, &version) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let ports = free_ports(2);
    let (leader_config, leader_dir) = write_config(root.path(), 1, ports[0], ports[0], "");
    let auto_join = "controller.quorum.auto.join.enable=true";
    let (joiner_config, joiner_dir) = write_config(root.path(), 2, ports[1], ports[0], auto_join);
    let cluster_id = storage(&["random-uuid"]).trim().to_string();
    format(&leader_config, &cluster_id, "--standalone");
    format(&joiner_config, &cluster_id, "--no-initial-controllers");
    let leader = start_leader(1, &leader_config, &leader_dir);
    let joiner = support::start(2, &joiner_config, &joiner_dir, &[]);
    let joined = joiner.wait_for_line(WAIT, |l| {
        l.contains("kraft.version 1, voters [1, 2]") && !l.contains("observer")
    });
    assert!(
        joined.is_some(),
        "no auto-join; stderr:\n{}",
        joiner.stderr()
    );
    let bootstrap = format!("127.0.0.1:{}", ports[0]);
    let removed = kafka.remove_controller(&bootstrap, 2, &directory_id(&joiner_dir));
    assert!(
        removed.success,
        "Kafka {version} remove-controller: {}{}\nleader:\n{}",
        removed.stdout,
        removed.stderr,
        leader.stderr()
    );
    let observer_again = joiner.wait_for_line(WAIT, |l| {
        l.contains("kraft.version 1, voters [1] (this node is an observer)")
    });
    assert!(observer_again.is_some(), "{}", joiner.stderr());
    let lines_before = joiner.stdout_lines().len();
    // Several update periods (one fetch timeout each): no AddRaftVoter of its own.
    std::thread::sleep(Duration::from_secs(8));
    let rejoined: Vec<String> = joiner.stdout_lines()[lines_before..]
        .iter()
        .filter(|l| l.contains("voters [1, 2]"))
        .cloned()
        .collect();
    assert!(rejoined.is_empty(), "re-added itself: {rejoined:?}");
    let (leader_id, _, high_watermark) =
        quorum_status(std::slice::from_ref(&bootstrap)).expect("DescribeQuorum");
    assert_eq!(leader_id, 1);
    let moved_on = poll(WAIT, || {
        let (_, _, hw) = quorum_status(std::slice::from_ref(&bootstrap))?;
        (hw > high_watermark).then_some(())
    });
    assert!(moved_on.is_some(), "the leader stopped committing");
    let mut nodes = [leader, joiner];
    support::stop_followers_then_leader(&mut nodes, 1);
}

/// A voter set grown by Kafka's own `kafka-metadata-quorum add-controller` against our leader
/// lives in the log: after both nodes stop, each comes back with voters [1, 2] (node 2, formatted
/// with `--no-initial-controllers`, from its log alone) and the two elect a leader that commits.
#[test]
fn a_voter_set_grown_by_kafkas_tool_survives_restarts_from_the_log() {
    let test = "a_voter_set_grown_by_kafkas_tool_survives_restarts_from_the_log";
    let Some(version) = versions_under_test().into_iter().next() else {
        return;
    };
    let Some(kafka) = Kafka::locate(test, &version) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let ports = free_ports(2);
    let (config_1, dir_1) = write_config(root.path(), 1, ports[0], ports[0], "");
    let (config_2, dir_2) = write_config(root.path(), 2, ports[1], ports[0], "");
    let cluster_id = storage(&["random-uuid"]).trim().to_string();
    format(&config_1, &cluster_id, "--standalone");
    format(&config_2, &cluster_id, "--no-initial-controllers");
    let node_1 = start_leader(1, &config_1, &dir_1);
    let node_2 = support::start(2, &config_2, &dir_2, &[]);
    let learned = node_2.wait_for_line(WAIT, |l| l.contains("kraft.version 1, voters [1]"));
    assert!(learned.is_some(), "{}", node_2.stderr());
    let bootstrap = format!("127.0.0.1:{}", ports[0]);
    let added = kafka.add_controller(&bootstrap, &config_2);
    assert!(
        added.success,
        "Kafka {version} add-controller: {}{}\nleader:\n{}",
        added.stdout,
        added.stderr,
        node_1.stderr()
    );
    let mut nodes = [node_1, node_2];
    let two_voters = |server: &Server| {
        server.wait_for_line(WAIT, |l| {
            l.contains("kraft.version 1, voters [1, 2]") && !l.contains("observer")
        })
    };
    for node in &nodes {
        assert!(two_voters(node).is_some(), "{}", node.stderr());
    }
    support::stop_followers_then_leader(&mut nodes, 1);
    for node in &mut nodes {
        node.restart(&LOAD);
    }
    for node in &nodes {
        assert!(
            two_voters(node).is_some(),
            "node {} lost the voter set; stderr:\n{}",
            node.node_id,
            node.stderr()
        );
    }
    let leader = poll(WAIT, || {
        let (leader, _, _) = quorum_status(std::slice::from_ref(&bootstrap))?;
        (leader >= 1).then_some(leader)
    });
    let leader = leader.expect("the two voters elect a leader");
    let index = nodes.iter().position(|n| n.node_id == leader).unwrap();
    let report = nodes[index].wait_for_line(WAIT, |l| l.starts_with(REPORT));
    assert!(report.is_some(), "{}", nodes[index].stderr());
    support::stop_followers_then_leader(&mut nodes, leader);
}
