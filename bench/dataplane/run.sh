#!/usr/bin/env bash
# bench/dataplane: iperf3 through dualnet's dataplane vs a direct veth pair, as root.
# Extra arguments go to the benchmark: -iperf-seconds N, -rounds N.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec go test -count=1 -run '^$' -bench . -benchtime 1x ./bench/dataplane -args "$@"
