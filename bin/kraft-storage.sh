#!/bin/sh
# Formats the log directories like Kafka's kafka-storage.sh:
#
#   bin/kraft-storage.sh format --config server.properties --cluster-id "$(bin/kraft-storage.sh random-uuid)" --standalone
#   bin/kraft-storage.sh format --config server.properties --cluster-id ID --initial-controllers 1@host:9093:DIRID,...
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
exec "$(dirname -- "$self")/run-release-binary.sh" kraft-storage "$@"
