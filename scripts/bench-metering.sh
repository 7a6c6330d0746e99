#!/usr/bin/env bash
# Metering overhead: builds the `metering` bench with the per-opcode hook (the
# default `opcode-gas` feature) and without it (a separate target dir, so the
# two builds do not evict each other), runs the two binaries alternately
# ROUNDS times and prints, per workload, the best median of each and the
# overhead. Both binaries run the same contracts on the same machine in one go.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-5}"
./scripts/patch-deps.sh
build() { # $1 = package selection and features, $2 = target dir
    cargo bench --ignore-rust-version --bench metering --no-run $1 \
        --target-dir "$2" --message-format=json 2>/dev/null |
        grep -o '"executable":"[^"]*metering-[^"]*"' | tail -n1 | cut -d'"' -f4
}
echo "building with the hook..." >&2
# The workspace's own build (features unified as `make test` and `make bench`
# build them), so this step reuses it.
on=$(build "--workspace" target)
echo "building without the hook (first time: several minutes)..." >&2
off=$(build "-p pvm-runtime --no-default-features" target/no-opcode-gas)
# Runs binary $1 once, keeping each workload's fastest time in the array named
# $2, and refuses a binary that does not say it meters "$3" (a mixed-up pair).
run() {
    local -n best=$2
    local err
    err=$(mktemp)
    while IFS=$'\t' read -r name ns; do
        [[ -z "${best[$name]:-}" || "$ns" -lt "${best[$name]}" ]] && best[$name]=$ns
    done < <("$1" 2>"$err")
    grep -q "meters $3" "$err" || { echo "$1 does not meter $3" >&2; exit 1; }
    rm -f "$err"
}
declare -A best_on best_off
for ((r = 1; r <= ROUNDS; r++)); do
    echo "round $r/$ROUNDS" >&2
    run "$on" best_on opcode
    run "$off" best_off coarse
done
echo "| workload | hook on (opcode metering) | hook off (coarse metering) | overhead |"
echo "|---|---:|---:|---:|"
for name in "${!best_on[@]}"; do
    on_ns=${best_on[$name]}
    off_ns=${best_off[$name]}
    pct=$(awk -v a="$on_ns" -v b="$off_ns" 'BEGIN { printf "%+.1f%%", (a - b) * 100 / b }')
    fmt() { awk -v n="$1" 'BEGIN { if (n >= 1e6) printf "%.1f ms", n / 1e6; else printf "%.2f us", n / 1e3 }'; }
    echo "| $name | $(fmt "$on_ns") | $(fmt "$off_ns") | $pct |"
done | sort
