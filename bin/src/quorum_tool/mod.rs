//! The client behind `bin/kraft-quorum.sh`, in the shape of Kafka's `kafka-metadata-quorum`:
//! `describe` (DescribeQuorum), `add-controller` and `remove-controller` (AddRaftVoter and
//! RemoveRaftVoter to the active controller, see [`voter_change`]).
//!
//! Only the leader answers DescribeQuorum; another node answers NOT_LEADER_OR_FOLLOWER. The tool
//! tries each `--bootstrap-server` in turn (a comma-separated list, like Kafka's
//! `--bootstrap-controller`) and, when a node names the leader and its endpoint, follows it.
//!
//! Kafka's TestRaftServer answers no DescribeQuorum at all (UNKNOWN_SERVER_ERROR, leader or
//! not). When such a node leads, the tool prints what the followers report (leader id and
//! epoch), says on stderr that the leader does not serve DescribeQuorum, and exits with
//! [`EXIT_LEADER_DOES_NOT_DESCRIBE`].

mod args;
mod cluster;
mod controller_config;
mod describe;
mod error_text;
mod log_start;
mod render;
mod voter_change;

pub use args::{parse_args, Command, ToolArgs, View};

use std::process::ExitCode;

use kraft_records::Uuid;

pub const USAGE: &str = "\
Usage: kraft-quorum.sh (--bootstrap-server | --bootstrap-controller) HOST:PORT[,HOST:PORT...]
         [--command-config FILE] COMMAND

Commands, as Kafka's kafka-metadata-quorum.sh has them:
  describe --status       leader id, epoch, high watermark, follower lag, voters and observers,
                          then the leader's log start offset and latest snapshot (from one Fetch
                          as a non-replica; the snapshot is named only when the log no longer
                          starts at 0)
  describe --replication  each voter's and observer's log end offset, lag and fetch times
  add-controller          adds the controller whose configuration is --command-config FILE
                          (alias --config): its node.id, the directory id in the meta.properties
                          of its metadata directory, and its controller listeners
  remove-controller --controller-id N --controller-directory-id UUID
                          removes that voter (-i and -d for short)
Options:
  --dry-run        add-controller, remove-controller: print what would be done, do nothing
  --timeout-ms N   describe: per-request timeout (default 5000); add-/remove-controller: time
                   allowed for the change, retriable answers retried (default 60000)
  -h, --help       this text
Exit codes: 0 done; 1 no member could describe the quorum, or the change failed (the error
  code's name and message on stderr); 2 bad command line; 3 the leader does not serve
  DescribeQuorum (Kafka's TestRaftServer): the leader id and epoch the followers report are
  printed, nothing else is known.";

/// Exit code when no member could be reached or none knows the leader, and when a voter change
/// fails (Kafka's tool exits 1).
pub const EXIT_UNDESCRIBED: u8 = 1;
pub const EXIT_CHANGE_FAILED: u8 = 1;
/// Exit code for a bad command line.
pub const EXIT_USAGE: u8 = 2;
/// Exit code when the followers name a leader that responds but does not serve DescribeQuorum
/// (Kafka's TestRaftServer): only the leader id and epoch are printed.
pub const EXIT_LEADER_DOES_NOT_DESCRIBE: u8 = 3;

const DESCRIBE_TIMEOUT_MS: u64 = 5000;
/// Kafka's `default.api.timeout.ms`, the admin client's deadline for a voter change.
const CHANGE_TIMEOUT_MS: u64 = 60_000;

pub fn main(args: Vec<String>) -> ExitCode {
    let args = match parse_args(&args) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("kraft-quorum: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let timeout_ms = args.timeout_ms;
    match args.command {
        Command::Describe(view) => describe_quorum(
            &args.servers,
            view,
            timeout_ms.unwrap_or(DESCRIBE_TIMEOUT_MS),
        ),
        Command::AddController { config, dry_run } => {
            let timeout_ms = timeout_ms.unwrap_or(CHANGE_TIMEOUT_MS);
            add_controller(&args.servers, &config, dry_run, timeout_ms)
        }
        Command::RemoveController {
            controller_id,
            controller_directory_id,
            dry_run,
        } => {
            let timeout_ms = timeout_ms.unwrap_or(CHANGE_TIMEOUT_MS);
            remove_controller(
                &args.servers,
                controller_id,
                &controller_directory_id,
                dry_run,
                timeout_ms,
            )
        }
    }
}

fn describe_quorum(servers: &[String], view: View, timeout_ms: u64) -> ExitCode {
    match describe::describe(servers, timeout_ms) {
        Ok((leader, quorum)) => {
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
            let text = match view {
                View::Status => {
                    let extras = render::StatusExtras {
                        cluster_id: cluster::describe_cluster(&leader, timeout_ms)
                            .map(|c| c.cluster_id)
                            .map_err(describe::Failure::why),
                        log_start: log_start::fetch_log_start(
                            &leader,
                            quorum.leader_epoch,
                            timeout_ms,
                        ),
                        kraft_version: cluster::finalized_kraft_version(&leader, timeout_ms),
                    };
                    render::status(&quorum, &extras)
                }
                View::Replication => render::replication(&quorum, now_ms),
            };
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(undescribed) => report_undescribed(&undescribed),
    }
}

/// Kafka's `handleAddController`: the controller as its configuration describes it, then
/// AddRaftVoter (unless a dry run), then one line naming what was (or would be) added.
fn add_controller(
    servers: &[String],
    config: &std::path::Path,
    dry_run: bool,
    timeout_ms: u64,
) -> ExitCode {
    let controller = match controller_config::read_new_controller(config) {
        Ok(controller) => controller,
        Err(why) => return failed(&why),
    };
    if !dry_run {
        let change = voter_change::Change::Add {
            voter_id: controller.node_id,
            directory_id: controller.directory_id,
            listeners: controller.endpoints.clone(),
        };
        if let Err(e) = voter_change::make_change(servers, &change, timeout_ms) {
            return failed(&format!("add-controller failed: {e}"));
        }
    }
    println!(
        "{} controller {} with directory id {} and endpoints: {}",
        if dry_run {
            "DRY RUN of adding"
        } else {
            "Added"
        },
        controller.node_id,
        controller.directory_id,
        voter_change::endpoints_text(&controller.endpoints)
    );
    ExitCode::SUCCESS
}

/// Kafka's `handleRemoveController`, with its refusals of a negative id and a malformed
/// directory id.
fn remove_controller(
    servers: &[String],
    controller_id: i64,
    directory_id: &str,
    dry_run: bool,
    timeout_ms: u64,
) -> ExitCode {
    if controller_id < 0 {
        return failed(&format!(
            "Invalid negative --controller-id: {controller_id}"
        ));
    }
    let Ok(voter_id) = i32::try_from(controller_id) else {
        return failed(&format!("--controller-id {controller_id} is not a node id"));
    };
    let directory_id: Uuid = match directory_id.parse() {
        Ok(id) => id,
        Err(e) => return failed(&format!("Failed to parse --controller-directory-id: {e}")),
    };
    if !dry_run {
        let change = voter_change::Change::Remove {
            voter_id,
            directory_id,
        };
        if let Err(e) = voter_change::make_change(servers, &change, timeout_ms) {
            return failed(&format!("remove-controller failed: {e}"));
        }
    }
    println!(
        "{}KRaft controller {voter_id} with directory id {directory_id}",
        if dry_run {
            "DRY RUN of removing "
        } else {
            "Removed "
        }
    );
    ExitCode::SUCCESS
}

fn failed(why: &str) -> ExitCode {
    eprintln!("kraft-quorum: {why}");
    ExitCode::from(EXIT_CHANGE_FAILED)
}

/// No description: the followers' view when the leader responds without one, else the error.
fn report_undescribed(undescribed: &describe::Undescribed) -> ExitCode {
    let leader = undescribed.reported_leader();
    match (&leader, undescribed.leader_refusal()) {
        (Some(leader), Some(refusal)) => {
            print!("{}", render::reported_leader(leader));
            eprintln!(
                "kraft-quorum: the leader, node {} at {}, does not serve DescribeQuorum ({refusal}); \
                 leader id and epoch are as reported by {}; high watermark, lag and replica \
                 states are unknown",
                leader.leader_id,
                leader.endpoint.as_deref().unwrap_or("?"),
                leader.reported_by.join(", ")
            );
            ExitCode::from(EXIT_LEADER_DOES_NOT_DESCRIBE)
        }
        _ => {
            eprintln!(
                "kraft-quorum: no member described the quorum ({})",
                undescribed.summary()
            );
            ExitCode::from(EXIT_UNDESCRIBED)
        }
    }
}
