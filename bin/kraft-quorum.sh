#!/bin/sh
# Describes a KRaft quorum like Kafka's kafka-metadata-quorum.sh:
#
#   bin/kraft-quorum.sh --bootstrap-server localhost:9092 describe --status
#   bin/kraft-quorum.sh --bootstrap-server localhost:9092 describe --replication
#
# Builds the release binary first when it is missing or stale (see
# run-release-binary.sh). Works from any directory.
set -eu
self=$0
while [ -L "$self" ]; do
    link=$(readlink -- "$self")
    case $link in
        /*) self=$link ;;
        *) self=$(dirname -- "$self")/$link ;;
    esac
done
exec "$(dirname -- "$self")/run-release-binary.sh" kraft-quorum "$@"
