#!/usr/bin/env bash
# bench/routes: route controller scale-up and join latency on kube-apiserver + armemu, as root.
# Extra arguments go to the benchmark: -put-latency D.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec go test -count=1 -run '^$' -bench . -benchtime 1x ./bench/routes -args "$@"
