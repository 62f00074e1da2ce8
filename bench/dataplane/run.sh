#!/usr/bin/env bash
# bench/dataplane: dualnet's dataplane vs the AKS kubenet peer (upstream bridge + host-local,
# ip-masq-agent, bridge netfilter), with a direct veth pair and node -> node as floors:
# throughput and 1-byte request/response latency, every path taking turns in one run, as root.
# Extra arguments go to the benchmark: -seconds N, -rr-seconds N, -rounds N, -pin=false,
# -ablations=false, -peer-lb-probe=false, -vnet-bridge-netfilter, -idle-wait D, -idle F.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The default 10-minute test timeout is too short: about 25 minutes of runs with the
# defaults, plus waits for idle CPUs.
exec go test -count=1 -timeout 90m -run '^$' -bench . -benchtime 1x ./bench/dataplane -args "$@"
