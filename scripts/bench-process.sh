#!/bin/sh
# Whole-process figures for docs/performance.md: for each vault size, build
# mysafe, fill a vault through `mysafe import`, and time complete runs of
# the commands (median of RUNS runs each), unlocked with an exported
# identity. Usage: scripts/bench-process.sh [RUNS] [SIZES...]
set -eu
runs=${1:-30}
[ $# -gt 0 ] && shift
sizes=${*:-1000 10000 100000}
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for n in $sizes; do
	echo "== $n records"
	MYSAFE_BENCH_DIR=$dir MYSAFE_BENCH_RECORDS=$n go test -run '^$' -bench 'Process' -benchtime "${runs}x" -timeout 60m ./internal/cli/ |
		grep '^Benchmark'
done
echo "== bytes written to the vault file by one add, in-process"
go test -run '^$' -bench 'AddWrites' -benchtime 20x -timeout 30m ./internal/vault/ | grep '^Benchmark'
