#!/usr/bin/env bash
# Writes patches/<crate>-<version>.patch from the edited tree in .patched/ (the
# working copy every build uses) against the pristine crate Cargo cached, and
# updates the stamp so patch-deps.sh does not re-apply (and rebuild) it.
#
#   scripts/regen-patches.sh            every patched crate
#   scripts/regen-patches.sh rustpython-codegen-0.6.0
#
# Edit .patched/<entry>/ in place, build and test, then run this before
# committing: the patch file is the only thing the repository keeps.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/patched-crates.sh
source "$ROOT/scripts/patched-crates.sh"
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"

entries=("$@")
[[ ${#entries[@]} -eq 0 ]] && entries=("${PATCHED_CRATES[@]}")

for entry in "${entries[@]}"; do
    work="$ROOT/.patched/$entry"
    [[ -d "$work" ]] || { echo "regen-patches: $work does not exist (run scripts/patch-deps.sh)" >&2; exit 1; }
    crate_file="$(find "$CARGO_HOME/registry/cache" -name "$entry.crate" | head -n1)"
    [[ -n "$crate_file" ]] || { echo "regen-patches: pristine $entry.crate not in the registry cache" >&2; exit 1; }
    tmp="$(mktemp -d)"
    mkdir -p "$tmp/a" "$tmp/b"
    tar -xzf "$crate_file" -C "$tmp/a"
    # Copy the working tree without build products or our stamp.
    (cd "$ROOT/.patched" && tar --exclude=target --exclude=.pvm-patch-stamp -cf - "$entry") | tar -xf - -C "$tmp/b"
    out="$ROOT/patches/$entry.patch"
    # diff exits 1 when the trees differ, which is the point.
    (cd "$tmp" && diff -ruN "a/$entry" "b/$entry" || true) |
        sed -E "s#^--- a/$entry/([^\t]*).*#--- a/\1#; s#^\+\+\+ b/$entry/([^\t]*).*#+++ b/\1#; s#^diff -ruN a/$entry/(.*) b/$entry/.*#diff -ruN a/\1 b/\1#" > "$out"
    rm -rf "$tmp"
    sha256sum "$out" | cut -d' ' -f1 > "$work/.pvm-patch-stamp"
    echo "regen-patches: wrote patches/$entry.patch ($(grep -c '^diff ' "$out") files)" >&2
done
