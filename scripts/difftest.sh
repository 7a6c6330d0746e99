#!/usr/bin/env bash
# Long differential runs of generated programs (integration/src/progen):
# PVM against CPython 3.11, and PVM against itself across histories
# (fresh, shared, warmed pool, churned pool, second process).
#
#   scripts/difftest.sh                                  100,000 + 10,000 programs
#   scripts/difftest.sh SEEDS=0..2000 HISTORY_SEEDS=0..500
#   scripts/difftest.sh SEEDS=5000..6000 HISTORY_SEEDS=0..0 MINIMIZE=1
#
# Prints program counts and every mismatch (seed and first difference); exits
# non-zero if there is any. `pvm-difftest show SEED` prints a program and
# `pvm-difftest minimize SEED` shrinks a mismatch. `make test` runs a fixed
# slice of the same comparisons (integration/tests/{differential,histories}.rs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SEEDS="${SEEDS:-0..100000}"
HISTORY_SEEDS="${HISTORY_SEEDS:-0..10000}"
MINIMIZE="${MINIMIZE:-0}"
for arg in "$@"; do
    case "$arg" in
        SEEDS=*) SEEDS="${arg#SEEDS=}" ;;
        HISTORY_SEEDS=*) HISTORY_SEEDS="${arg#HISTORY_SEEDS=}" ;;
        MINIMIZE=*) MINIMIZE="${arg#MINIMIZE=}" ;;
        *) echo "difftest: unknown argument $arg (SEEDS=A..B, HISTORY_SEEDS=A..B, MINIMIZE=1)" >&2; exit 2 ;;
    esac
done

cd "$ROOT"
cargo build --ignore-rust-version --release -q -p pvm-integration --bin pvm-difftest
BIN="$ROOT/target/release/pvm-difftest"

status=0
extra=()
[[ "$MINIMIZE" == 1 ]] && extra+=(--minimize)
"$BIN" cpython --seeds "$SEEDS" "${extra[@]}" || status=1
if [[ "${HISTORY_SEEDS%%..*}" != "${HISTORY_SEEDS##*..}" ]]; then
    "$BIN" histories --seeds "$HISTORY_SEEDS" --batch 500 || status=1
fi
exit "$status"
