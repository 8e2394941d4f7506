#!/usr/bin/env bash
# Resolves Apache Kafka's jars (a test peer, never shipped) for one Kafka version into
# interop/lib/VERSION with Maven, once: later runs find the stamp file and return at once.
#
#   interop/fetch-kafka.sh [VERSION]      (default: the pom's kafka.version)
#
# Prints the folder on stdout. Parallel callers are serialised by a lock file.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="${1:-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")}"
case "$version" in
    4.*) ;;
    *) echo "fetch-kafka.sh: Kafka $version is not a 4.x release" >&2; exit 2 ;;
esac
lib="$here/lib/$version"
mkdir -p "$here/lib"
exec 9>"$here/lib/.lock"
flock -w 900 9 || { echo "fetch-kafka.sh: lock busy for 900 s" >&2; exit 1; }
if [ ! -f "$lib/.complete" ]; then
    rm -rf "$lib"
    mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
        -Dkafka.version="$version" -DoutputDirectory="$lib" \
        -DincludeScope=runtime >&2
    touch "$lib/.complete"
fi
echo "$lib"
