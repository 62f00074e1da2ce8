#!/usr/bin/env bash
# bench/podstart: pod start and stop on a lab node, dualnet against the upstream kubenet
# chain, interleaved. Brings up a lab "podstart" unless one runs (and takes down the one it
# brought up). Extra arguments go to the Go program (-pods N, -rounds N, -node NAME).
set -euo pipefail
cd "$(dirname "$0")/../.."
LAB="${LAB:-podstart}"
state_root=/run/dualnet-lab
kubeconfig="$(mktemp)"
cleanup() {
	rm -f "$kubeconfig"
	if [[ -n "${brought_up:-}" ]]; then ./bin/dualnet lab down --name "$LAB" >/dev/null; fi
}
trap cleanup EXIT
if [[ ! -f "$state_root/$LAB/state.json" ]]; then
	brought_up=1
	./bin/dualnet lab up --name "$LAB" >/dev/null
fi
./bin/dualnet lab kubeconfig --name "$LAB" >"$kubeconfig"
go run ./bench/podstart -kubeconfig "$kubeconfig" -lab-dir "$state_root/$LAB" "$@"
