#!/bin/sh
# Describes a running KRaft quorum, like Kafka's kafka-metadata-quorum.sh:
#
#   bin/kraft-quorum.sh --bootstrap-server localhost:9092 describe --status
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
exec "$(dirname -- "$self")/run-release-binary.sh" kraft-quorum "$@"
