#!/bin/sh
# Whole-process figures for docs/performance.md. BenchmarkSizes builds
# mysafe, fills one vault per size through `mysafe import`, and runs every
# command against all sizes in each iteration, interleaved, next to
# `mysafe version` (unlocked with an exported identity), so that machine
# load hits every size alike; then the in-process count of the bytes one
# add writes at 100,000 records. It prints the load average around both.
# Usage: scripts/bench-process.sh [RUNS] [SIZES]   (SIZES: 1000,10000,100000)
set -eu
runs=${1:-20}
sizes=${2:-1000,10000,100000}
cd "$(dirname "$0")/.."
echo "== load average before: $(cat /proc/loadavg 2>/dev/null || uptime)"
MYSAFE_BENCH_SIZES=$sizes go test -run '^$' -bench '^BenchmarkSizes$' -benchtime "${runs}x" -timeout 120m ./internal/cli/ |
	grep -E '^Benchmark|load average' | tr '\t' '\n' | sed 's/^ *//'
echo "== bytes written to the vault file by one add at 100,000 records, in-process"
go test -run '^$' -bench 'AddWrites' -benchtime 20x -timeout 30m ./internal/vault/ | grep '^Benchmark'
echo "== load average after: $(cat /proc/loadavg 2>/dev/null || uptime)"
