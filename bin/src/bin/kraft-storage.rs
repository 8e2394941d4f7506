//! `kraft-storage`: formats this node's log directories like Kafka's `kafka-storage.sh`
//! (`bin/kraft-storage.sh format --config FILE --cluster-id ID --standalone`) and prints random
//! Kafka Uuids (`random-uuid`).

use std::process::ExitCode;

fn main() -> ExitCode {
    kraft_bin::storage_tool::main(std::env::args().skip(1).collect())
}
