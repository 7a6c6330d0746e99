#!/usr/bin/env bash
# Applies our patches (patches/<crate>-<version>.patch) to the pristine crates
# Cargo fetches from crates.io.
#
# The workspace's [patch.crates-io] points each patched crate at .patched/, so
# no workspace cargo command works before this script has run. It therefore
# gets the pristine crates through a throwaway manifest outside the workspace,
# checks each .crate's sha256 against patches/<crate>-<version>.crate.sha256,
# unpacks it into .patched/ and applies the patch. It is idempotent: a stamp
# holding the patch's own hash makes re-runs free, and a changed patch
# re-applies that crate from pristine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/patched-crates.sh
source "$ROOT/scripts/patched-crates.sh"

CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
find_crate() { find "$CARGO_HOME/registry/cache" -name "$1.crate" 2>/dev/null | head -n1 || true; }

# Which crates need (re-)applying.
todo=()
for entry in "${PATCHED_CRATES[@]}"; do
    patch_file="$ROOT/patches/$entry.patch"
    stamp="$ROOT/.patched/$entry/.pvm-patch-stamp"
    want="$(sha256sum "$patch_file" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        continue
    fi
    todo+=("$entry")
done
[[ ${#todo[@]} -eq 0 ]] && exit 0

# Fetch whichever pristine crates the registry cache lacks, in one go.
missing=()
for entry in "${todo[@]}"; do
    [[ -z "$(find_crate "$entry")" ]] && missing+=("$entry")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "patch-deps: fetching pristine ${missing[*]}" >&2
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/src"
    {
        printf '[package]\nname = "pvm-fetch-pristine"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n'
        for entry in "${missing[@]}"; do
            printf '%s = { version = "=%s", default-features = false }\n' \
                "$(crate_name "$entry")" "$(crate_version "$entry")"
        done
        printf '\n[workspace]\n'
    } > "$tmp/Cargo.toml"
    : > "$tmp/src/lib.rs"
    (cd "$tmp" && cargo fetch --quiet)
fi

for entry in "${todo[@]}"; do
    crate_file="$(find_crate "$entry")"
    [[ -n "$crate_file" ]] || { echo "patch-deps: $entry.crate not found after fetch" >&2; exit 1; }
    want_sum="$(cut -d' ' -f1 < "$ROOT/patches/$entry.crate.sha256")"
    have_sum="$(sha256sum "$crate_file" | cut -d' ' -f1)"
    if [[ "$want_sum" != "$have_sum" ]]; then
        echo "patch-deps: checksum mismatch for $crate_file: expected $want_sum, got $have_sum" >&2
        exit 1
    fi
    echo "patch-deps: applying $entry.patch" >&2
    dest="$ROOT/.patched/$entry"
    rm -rf "$dest"
    mkdir -p "$ROOT/.patched"
    tar -xzf "$crate_file" -C "$ROOT/.patched"
    patch --quiet --forward -p1 -d "$dest" < "$ROOT/patches/$entry.patch"
    sha256sum "$ROOT/patches/$entry.patch" | cut -d' ' -f1 > "$dest/.pvm-patch-stamp"
done
