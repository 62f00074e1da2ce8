#!/usr/bin/env bash
# bench/dataplane: iperf3 through dualnet's dataplane vs a direct veth pair, as root.
# Extra arguments go to the benchmark: -iperf-seconds N, -rounds N, -pin=false, -ablations=false,
# -vnet-bridge-netfilter, -idle-wait D, -idle F.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The default 10-minute test timeout is too short: about 8 minutes of runs, plus waits for idle CPUs.
exec go test -count=1 -timeout 60m -run '^$' -bench . -benchtime 1x ./bench/dataplane -args "$@"
