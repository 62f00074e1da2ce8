#!/usr/bin/env bash
# Node IPAM benchmarks (reported, not asserted):
#  - the pure allocator at 65,536 nodes (10.0.0.0/8 in /24s with fd00::/48 in /80s):
#    filling, churn (a node leaves, a new one joins), and rebuilding from 65,536 nodes;
#  - the CNI plugin's per-node address store: a pod's addresses taken and given back, on a
#    node with 0, 100 and 200 pods (on tmpfs, as bench/cni keeps the plugins' state);
#  - the controller on a real kube-apiserver: wall time from creating 200 nodes to all of
#    them having pod CIDRs (needs `make kube-bins`; run as root like `make test`).
set -euo pipefail
cd "$(dirname "$0")/../.."
export DUALNET_KUBE_BIN="${DUALNET_KUBE_BIN:-/var/cache/dualnet/kube/v1.37.2}"
echo "== allocator (internal/ipam)"
go test -run '^$' -bench 'BenchmarkAllocator' -benchtime "${BENCHTIME:-2s}" ./internal/ipam | grep -E '^Benchmark|^ok'
echo "== the CNI plugin's address store (internal/podipam)"
TMPDIR=/dev/shm go test -run '^$' -bench 'BenchmarkAllocateRelease' -benchtime "${BENCHTIME:-2s}" ./internal/podipam | grep -E '^Benchmark|^ok'
echo "== controller on a real kube-apiserver (internal/controller/nodeipam)"
go test -run '^$' -bench 'BenchmarkControllerAssigns200Nodes' -benchtime "${ROUNDS:-5}x" ./internal/controller/nodeipam 2>/dev/null | grep -E '^Benchmark|^ok'
echo "== the dualnet-controller binary with its default API limits (cmd/dualnet-controller)"
go test -run '^$' -bench 'BenchmarkBinaryAssigns200Nodes' -benchtime "${ROUNDS:-5}x" ./cmd/dualnet-controller 2>/dev/null | grep -E '^Benchmark|^ok'
