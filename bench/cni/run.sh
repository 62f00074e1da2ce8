#!/usr/bin/env bash
# bench/cni: dualnet-cni vs upstream bridge + host-local v1.10.0, through libcni, as root.
# Extra arguments go to the Go program (-pods N, -parallel N, -rounds N, -dir D, -keep).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec go run ./bench/cni "$@"
