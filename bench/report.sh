#!/usr/bin/env bash
# Runs every benchmark in turn and writes one markdown report: first a table of every goal's
# verdict (and the figures reported beside them), then each benchmark's own tables under its
# heading, with the machine and the time, so that one file holds a run's figures.
#   bash bench/report.sh [REPORT.md]     (make bench: _artifacts/bench.md)
set -euo pipefail
cd "$(dirname "$0")/.."
report="${1:-_artifacts/bench.md}"
mkdir -p "$(dirname "$report")"
# The benchmarks append each judged figure here (bench/goals).
DUALNET_BENCH_GOALS="$(mktemp)"
export DUALNET_BENCH_GOALS
body="$(mktemp)"
trap 'rm -f "$DUALNET_BENCH_GOALS" "$body"' EXIT
header="$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r), load average at start $(cut -d' ' -f1-3 /proc/loadavg)."
for b in cni ipam routes dataplane podstart; do
	echo "== bench/$b"
	printf '\n## bench/%s\n\n```\n' "$b" >>"$body"
	# Each prints its own tables; the report keeps them as they were printed.
	bash "bench/$b/run.sh" 2>&1 | tee -a "$body"
	printf '```\n' >>"$body"
done
{
	echo "# dualnet benchmarks"
	echo
	echo "$header"
	echo
	echo "## Goals"
	echo
	echo "Each benchmark's tables below hold these figures and the ones behind them."
	echo
	echo "| benchmark | figure and goal | measured | verdict |"
	echo "|---|---|---|---|"
	# A | inside a cell would end it.
	sed 's/|/\\|/g' "$DUALNET_BENCH_GOALS" | awk -F'\t' '{ v = ($4 == "NOT met") ? "**NOT met**" : $4; printf "| %s | %s | %s | %s |\n", $1, $2, $3, v }'
	cat "$body"
} >"$report"
echo "bench: the report is $report"
