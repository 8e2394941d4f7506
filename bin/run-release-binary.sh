#!/bin/sh
# Runs a release binary of the kraft-bin crate, building it first when it is
# missing or older than any source file of the workspace:
#
#   bin/run-release-binary.sh BINARY [ARGS...]
#
# Used by the launchers (test-kraft-server-start.sh, kraft-quorum.sh, kraft-storage.sh). Cargo
# builds quietly; only its errors are shown. Works from any directory.
set -eu

if [ $# -lt 1 ]; then
    echo "usage: run-release-binary.sh BINARY [ARGS...]" >&2
    exit 2
fi
name=$1
shift

script_dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P)
root=$(CDPATH= cd -- "$script_dir/.." && pwd -P)

target_dir=${CARGO_TARGET_DIR:-$root/target}
case $target_dir in
    /*) ;;
    *) target_dir=$root/$target_dir ;; # cargo runs from $root below
esac
binary=$target_dir/release/$name

needs_build=no
if [ ! -x "$binary" ]; then
    needs_build=yes
else
    # Any workspace source newer than the binary makes it stale.
    newer=$(find "$root" \
        \( -path "$root/target" -o -path "$root/.git" -o -path "$root/fuzz/target" \) -prune \
        -o \( -name '*.rs' -o -name Cargo.toml -o -name Cargo.lock \) -newer "$binary" -print \
        | head -n 1)
    if [ -n "$newer" ]; then
        needs_build=yes
    fi
fi

if [ "$needs_build" = yes ]; then
    if ! command -v cargo >/dev/null 2>&1; then
        echo "$name: cargo not found; install the Rust toolchain to build it" >&2
        exit 1
    fi
    echo "building $name (release)..." >&2
    (cd "$root" && cargo build --release -q -p kraft-bin --bin "$name")
    # Cargo leaves an up-to-date binary untouched; mark it checked so edits
    # elsewhere in the workspace that do not affect it stop triggering builds.
    touch "$binary"
fi

exec "$binary" "$@"
