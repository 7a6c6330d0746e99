#!/usr/bin/env bash
# Applies our patches (patches/*.patch) to the pristine crates Cargo fetches.
#
# The workspace's [patch.crates-io] points rustpython-vm at .patched/, so no
# workspace cargo command works before this script has run. It therefore gets
# the pristine crate through a throwaway manifest outside the workspace, checks
# the .crate's sha256 against the checksum recorded in patches/, unpacks it into
# .patched/ and applies the patch. It is idempotent: a stamp holding the patch's
# own hash makes re-runs free, and a changed patch re-applies from pristine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CRATE=rustpython-vm
VERSION=0.6.0
PATCH="$ROOT/patches/$CRATE-$VERSION.patch"
SUM_FILE="$ROOT/patches/$CRATE-$VERSION.crate.sha256"
DEST="$ROOT/.patched/$CRATE-$VERSION"
STAMP="$DEST/.pvm-patch-stamp"

want_stamp="$(sha256sum "$PATCH" | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" ]]; then
    exit 0
fi

CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
find_crate() { find "$CARGO_HOME/registry/cache" -name "$CRATE-$VERSION.crate" 2>/dev/null | head -n1 || true; }

crate_file="$(find_crate)"
if [[ -z "$crate_file" ]]; then
    echo "patch-deps: fetching pristine $CRATE $VERSION" >&2
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/src"
    cat > "$tmp/Cargo.toml" <<TOML
[package]
name = "pvm-fetch-pristine"
version = "0.0.0"
edition = "2021"

[dependencies]
$CRATE = { version = "=$VERSION", default-features = false }

[workspace]
TOML
    : > "$tmp/src/lib.rs"
    (cd "$tmp" && cargo fetch --quiet)
    crate_file="$(find_crate)"
fi
[[ -n "$crate_file" ]] || { echo "patch-deps: $CRATE-$VERSION.crate not found after fetch" >&2; exit 1; }

want_sum="$(cut -d' ' -f1 < "$SUM_FILE")"
have_sum="$(sha256sum "$crate_file" | cut -d' ' -f1)"
if [[ "$want_sum" != "$have_sum" ]]; then
    echo "patch-deps: checksum mismatch for $crate_file: expected $want_sum, got $have_sum" >&2
    exit 1
fi

echo "patch-deps: applying $(basename "$PATCH") to $CRATE $VERSION" >&2
rm -rf "$DEST"
mkdir -p "$ROOT/.patched"
tar -xzf "$crate_file" -C "$ROOT/.patched"
patch --quiet --forward -p1 -d "$DEST" < "$PATCH"
echo "$want_stamp" > "$STAMP"
