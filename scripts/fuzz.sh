#!/usr/bin/env bash
# Coverage-guided fuzzing of every target in fuzz/ (see fuzz/src/lib.rs).
#
#   scripts/fuzz.sh [TARGET...]         run each target (all by default) for FUZZ_SECONDS
#   scripts/fuzz.sh merge [TARGET...]   shrink the committed corpus fuzz/corpus/<target>/
#                                       and what the runs found to a set covering
#                                       the same edges (seeds always kept)
#
# Needs a nightly toolchain (`rustup toolchain install nightly`) and cargo-fuzz
# (`cargo install cargo-fuzz`). Builds go to target/fuzz (a sanitizer or
# coverage build cannot share target/release). Each run starts from the
# committed corpus and its regressions and writes what it finds to
# target/fuzz/corpus/<target>/, crashes to target/fuzz/artifacts/<target>/.
#
# Settings (environment):
#   FUZZ_SECONDS    seconds per target (default 60)
#   FUZZ_TIMEOUT    seconds one input may take before it counts as a hang (default 10)
#   FUZZ_SANITIZER  none (default) or address, leak, memory, thread
#   FUZZ_KEEP_GOING 1: keep fuzzing past crashes, hangs and OOMs (libFuzzer fork mode)
#   FUZZ_NICE       niceness of builds and runs (default 10)
#   FUZZ_TOOLCHAIN  the nightly toolchain to use (default nightly)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
TIMEOUT="${FUZZ_TIMEOUT:-10}"
SANITIZER="${FUZZ_SANITIZER:-none}"
KEEP_GOING="${FUZZ_KEEP_GOING:-0}"
NICE="${FUZZ_NICE:-10}"
TOOLCHAIN="${FUZZ_TOOLCHAIN:-nightly}"
FUZZ_DIR="fuzz/libfuzzer"
OUT="target/fuzz"

mode=run
if [[ "${1:-}" == "merge" ]]; then
    mode=merge
    shift
fi

if ! rustup run "$TOOLCHAIN" rustc --version >/dev/null 2>&1; then
    echo "fuzz: needs the $TOOLCHAIN toolchain: rustup toolchain install $TOOLCHAIN" >&2
    exit 2
fi
if ! cargo "+$TOOLCHAIN" fuzz --version >/dev/null 2>&1; then
    echo "fuzz: needs cargo-fuzz: cargo install cargo-fuzz" >&2
    exit 2
fi

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    for f in "$FUZZ_DIR"/fuzz_targets/*.rs; do
        targets+=("$(basename "$f" .rs)")
    done
fi

"$ROOT/scripts/patch-deps.sh"

# The fuzz project has its own workspace; give it the workspace's lock file so
# every shared dependency resolves to the same version, then check it did.
cp Cargo.lock "$FUZZ_DIR/Cargo.lock"
flags=(-O -s "$SANITIZER" --codegen-units 16 --fuzz-dir "$FUZZ_DIR" --target-dir "$OUT")
nice -n "$NICE" cargo "+$TOOLCHAIN" fuzz build "${flags[@]}"
python3 - "$ROOT/Cargo.lock" "$FUZZ_DIR/Cargo.lock" <<'EOF'
import sys, tomllib
def versions(path):
    with open(path, "rb") as f:
        return {(p["name"], p["version"]) for p in tomllib.load(f)["package"]}
main, fuzz = versions(sys.argv[1]), versions(sys.argv[2])
names = {n for n, _ in main}
drift = sorted(p for p in fuzz - main if p[0] in names)
if drift:
    sys.exit("fuzz: the fuzz build resolved versions the workspace lock does not have: %s" % drift)
EOF

summary="$OUT/summary.txt"
: > "$summary"
for t in "${targets[@]}"; do
    corpus="$OUT/corpus/$t"
    artifacts="$OUT/artifacts/$t"
    mkdir -p "$corpus" "$artifacts" "fuzz/corpus/$t"
    if [[ "$mode" == merge ]]; then
        # A smallest set of inputs covering every edge the seeds, the committed
        # corpus and the runs reach (hit counts ignored), seeds always kept.
        merged="$OUT/merge/$t"
        rm -rf "$merged"
        mkdir -p "$merged"
        find "fuzz/corpus/$t" -name 'seed-*' -exec cp {} "$merged/" \;
        nice -n "$NICE" cargo "+$TOOLCHAIN" fuzz run "${flags[@]}" "$t" \
            "$merged" "fuzz/corpus/$t" "$corpus" -- \
            -set_cover_merge=1 -use_counters=0 -timeout="$TIMEOUT" -rss_limit_mb=4096
        rm -rf "fuzz/corpus/$t"
        mv "$merged" "fuzz/corpus/$t"
        echo "$t: $(find "fuzz/corpus/$t" -type f | wc -l) committed corpus files" | tee -a "$summary"
        continue
    fi
    dirs=()
    [[ -d "fuzz/regressions/$t" ]] && dirs+=("fuzz/regressions/$t")
    extra=()
    [[ -f "fuzz/dict/$t.dict" ]] && extra+=(-dict="fuzz/dict/$t.dict")
    keep=()
    [[ "$KEEP_GOING" == 1 ]] && keep=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    log="$OUT/$t.log"
    echo "fuzz: $t for ${SECONDS_PER_TARGET}s (log: $log)" >&2
    status=0
    nice -n "$NICE" cargo "+$TOOLCHAIN" fuzz run "${flags[@]}" "$t" \
        "$corpus" "fuzz/corpus/$t" "${dirs[@]}" -- "${extra[@]}" \
        -max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" -rss_limit_mb=4096 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 "${keep[@]}" \
        > "$log" 2>&1 || status=$?
    execs="$(grep -oE '^#[0-9]+' "$log" | tail -n1 | tr -d '#' || true)"
    execs="$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | tail -n1 | grep -oE '[0-9]+$' || echo "${execs:-?}")"
    found="$(find "$artifacts" -type f | wc -l)"
    echo "$t: ${SECONDS_PER_TARGET}s, $execs executions, $(find "$corpus" -type f | wc -l) corpus files, $found artifacts, exit $status" \
        | tee -a "$summary"
done
echo "fuzz: summary in $summary; crashes in $OUT/artifacts/<target>/" >&2
