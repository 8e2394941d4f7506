#!/bin/sh
# Starts one member of a KRaft quorum running the Raft performance test, like
# Kafka's bin/test-kraft-server-start.sh:
#
#   bin/test-kraft-server-start.sh --config config/kraft.properties \
#       [--throughput N] [--record-size B]
#
# Builds the release binary first when it is missing or older than any source
# file of the workspace, then replaces this shell with it. Works from any
# directory.
set -eu
# Follow symbolic links to this script so the helper beside it is found.
self=$0
while [ -L "$self" ]; do
    link=$(readlink -- "$self")
    case $link in
        /*) self=$link ;;
        *) self=$(dirname -- "$self")/$link ;;
    esac
done
exec "$(dirname -- "$self")/run-release-binary.sh" kraft-server "$@"
