//! `kraft-quorum`: describes a KRaft quorum like Kafka's `kafka-metadata-quorum.sh`, by sending
//! DescribeQuorum to a node (`bin/kraft-quorum.sh --bootstrap-server HOST:PORT describe --status`).

use std::process::ExitCode;

fn main() -> ExitCode {
    kraft_bin::quorum_tool::main(std::env::args().skip(1).collect())
}
