#!/usr/bin/env bash
# Runs every benchmark in turn and writes one markdown report: each benchmark's own tables
# under its heading, with the machine and the time, so that one file holds a run's figures.
#   bash bench/report.sh [REPORT.md]     (make bench: _artifacts/bench.md)
set -euo pipefail
cd "$(dirname "$0")/.."
report="${1:-_artifacts/bench.md}"
mkdir -p "$(dirname "$report")"
{
	echo "# dualnet benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "$(nproc) CPUs, $(uname -r), load average at start $(cut -d' ' -f1-3 /proc/loadavg)."
} >"$report"
for b in cni ipam routes dataplane podstart; do
	echo "== bench/$b"
	printf '\n## bench/%s\n\n```\n' "$b" >>"$report"
	# Each prints its own tables; the report keeps them as they were printed.
	bash "bench/$b/run.sh" 2>&1 | tee -a "$report"
	printf '```\n' >>"$report"
done
echo "bench: the report is $report"
