#!/usr/bin/env bash
# Runs the upstream Kubernetes e2e network suite (e2e.test v1.37.2, built by
# test/kube/build-e2e.sh) against a dualnet lab: the check nobody here wrote.
#
#   SELECTION="dualstack primary" bash test/conformance/run.sh   (any of dualstack, primary, broad, broad-network)
#
# It brings up a lab (--name conformance) unless one of that name runs, and takes down the one
# it brought up when it ends (KEEP_LAB=1 keeps it); FRESH_LAB=1 first takes down a lab of that
# name left by an earlier run (CI does). For each selection it runs the specs with
# --provider=skeleton (no SSH, no cloud), writes the JUnit report under
# _artifacts/conformance/<selection>/ and prints a table: spec, result, time, and why a spec
# was skipped; it fails when any spec of any selection failed. Every spec talks only to the lab: specs that need the internet are skipped by
# name below, with the reason.
set -euo pipefail
cd "$(dirname "$0")/../.."

SELECTIONS="${SELECTION:-dualstack}"
KUBE_BIN="${DUALNET_KUBE_BIN:-/var/cache/dualnet/kube/v1.37.2}"
LAB="${LAB:-conformance}"
ARTIFACTS_ROOT="${ARTIFACTS:-$PWD/_artifacts/conformance}"
NODES="${GINKGO_NODES:-4}"
# FOCUS, when set, runs only the selection's specs it matches (a regexp of spec names, as
# ginkgo's --focus), keeping the selection's skips and leaving out the hostNetwork specs that
# run alone: to run again the specs that failed.
FOCUS="${FOCUS:-}"
# FLAKE_ATTEMPTS > 1 retries a failed spec (CI: 2, so that an upstream spec's race under load
# does not stop a landing); the table still lists such a spec as flaky.
FLAKE_ATTEMPTS="${FLAKE_ATTEMPTS:-1}"

die() { echo "test/conformance/run.sh: $*" >&2; exit 1; }
for b in e2e.test ginkgo kubectl; do
	[[ -x "$KUBE_BIN/$b" ]] || die "$KUBE_BIN/$b is missing: run \`make e2e-bins kube-bins\`"
done
[[ -x ./bin/dualnet ]] || die "./bin/dualnet is missing: run \`make build image\`"

# Skips shared by every selection, each with its reason.
common_skip=(
	'SCTPConnectivity|sctp'          # SCTP: not a kubenet feature; the lab's kernel has no sctp module loaded
	'Disruptive|Flaky|Serial'        # they restart nodes or need the whole cluster to themselves
	'Internet.connection'            # needs the internet; the lab never leaves the machine
	'LoadBalancer'                   # needs a cloud provider in e2e.test (the lab's LB is tested by dualnet's own e2e)
)

# select_specs sets focus, skip and serial_focus for a selection. serial_focus runs one at a
# time after the parallel part: those specs bind the same host ports on every node, and in
# v1.37.2 a failure of the hostNetwork one sleeps 10 hours (dual_stack.go).
select_specs() {
	case "$1" in
	dualstack)
		focus='\[Feature:IPv6DualStack\]'
		skip='using hostNetwork'
		serial_focus='\[Feature:IPv6DualStack\].*should function for service endpoints using hostNetwork'
		;;
	primary)
		focus='Networking Granular Checks: (Pods|Services)|NoSNAT|should check kube-proxy urls|HostPort validates'
		skip='Slow|using hostNetwork'
		serial_focus='Networking Granular Checks: Services should function for service endpoints using hostNetwork'
		;;
	broad | broad-network)
		# broad-network is broad's [sig-network] part alone: the specs of the network (151 of
		# its 529), in about 11 minutes on a 2-core machine where the whole takes 40.
		focus='\[sig-network\]|\[Conformance\]'
		[[ "$1" == broad-network ]] && focus='\[sig-network\]'
		# As kind's dual-stack CI, plus what needs what the lab lacks (each named):
		#   Alpha|Beta: features off in a default cluster; NetworkPolicy: dualnet implements none
		#   (as AKS kubenet without Calico); Networking-IPv[46]: connectivity to the internet;
		#   Feature:LocalhostNodePorts: NodePorts on 127.0.0.1 are kube-proxy's iptables mode
		#   alone (route_localnet); the lab's kube-proxy runs in nftables mode, which has none.
		#   Images the lab's registry does not build (internal/lab/images): Update Demo runs
		#   kitten and nautilus, Aggregator the sample-apiserver, the invalid-conntrack spec
		#   regression-issue-74839 (a kube-proxy check), the AllowPrivilegeEscalation ones nonewprivs.
		#   Feature:Networking-Performance: the iperf2 spec parses iperf 2.2's enhanced CSV (17
		#   fields); the lab's agnhost has Debian's iperf 2.1.8, whose CSV has 9.
		#   ImageVolume: it mounts kitten (Alpine's files and a picture), not built either.
		#   Pod InPlace Resize Container: the lab's kubelet runs without pod cgroups
		#   (cgroupsPerQOS: false, which this machine's cgroup v1 without systemd forces), and
		#   kubelet v1.37.2 then panics on every resize (a nil pod memory config in
		#   doPodResizeAction, kuberuntime_manager.go:1109), restarting until the pod goes.
		skip='Alpha|Beta|NetworkPolicy|Networking-IPv[46]|using hostNetwork|Update Demo|Aggregator|invalid conntrack state|AllowPrivilegeEscalation|Feature:LocalhostNodePorts|Feature:Networking-Performance|ImageVolume|Pod InPlace Resize Container'
		serial_focus=''
		;;
	*) die "SELECTION=$1: want dualstack, primary, broad or broad-network (or several, space-separated)" ;;
	esac
	skip="$skip|$(IFS='|'; echo "${common_skip[*]}")"
	if [[ -n "$FOCUS" ]]; then
		focus="$FOCUS" serial_focus=''
	fi
}
for s in $SELECTIONS; do select_specs "$s"; done # every name checked before a lab is made

state_root=/run/dualnet-lab
if [[ "${FRESH_LAB:-}" == 1 && -d "$state_root/$LAB" ]]; then
	echo "conformance: taking down lab \"$LAB\" left by an earlier run"
	./bin/dualnet lab down --name "$LAB"
fi
# The suite's temporary files (the kubectl specs leave kuberc files behind) go in a
# directory of this run's, removed with it.
work="$(mktemp -d -t dualnet-conformance-XXXXXX)"
kubeconfig="$work/kubeconfig"
cleanup() {
	rm -rf "$work"
	if [[ -n "${brought_up:-}" && "${KEEP_LAB:-}" != 1 ]]; then
		./bin/dualnet lab down --name "$LAB" >/dev/null || echo "conformance: lab down --name $LAB failed" >&2
	fi
}
trap cleanup EXIT
if [[ ! -f "$state_root/$LAB/state.json" ]]; then
	echo "conformance: no lab \"$LAB\" runs: bringing one up"
	brought_up=1
	./bin/dualnet lab up --name "$LAB"
fi
./bin/dualnet lab kubeconfig --name "$LAB" >"$kubeconfig"

# The node count, given: in a parallel run only the first process would count them, and the
# others' specs that need two nodes would skip themselves ("Requires at least 2 nodes").
num_nodes="$("$KUBE_BIN/kubectl" --kubeconfig="$kubeconfig" get nodes --no-headers | wc -l)"

# run_selection runs one selection's specs and prints its table; non-zero when a spec failed.
run_selection() {
	local selection="$1" artifacts="$ARTIFACTS_ROOT/$1" status=0 start=$SECONDS
	select_specs "$selection"
	mkdir -p "$artifacts"
	rm -f "$artifacts"/junit_*.xml
	local e2e_flags=(--provider=skeleton --kubeconfig="$kubeconfig" --kubectl-path="$KUBE_BIN/kubectl" --num-nodes="$num_nodes"
		--dump-logs-on-failure=false --disable-log-dump=true --e2e-output-dir="$artifacts")
	echo "conformance: $selection: focus '$focus', skip '$skip', $NODES parallel"
	TMPDIR="$work" "$KUBE_BIN/ginkgo" --no-color --silence-skips --nodes="$NODES" --timeout=90m --flake-attempts="$FLAKE_ATTEMPTS" --focus="$focus" --skip="$skip" \
		--junit-report=junit_parallel.xml --output-dir="$artifacts" \
		"$KUBE_BIN/e2e.test" -- "${e2e_flags[@]}" || status=$?
	if [[ -n "$serial_focus" ]]; then
		echo "conformance: $selection: the hostNetwork spec alone, 15 minutes at most"
		TMPDIR="$work" "$KUBE_BIN/ginkgo" --no-color --silence-skips --nodes=1 --timeout=15m --focus="$serial_focus" --skip="$(IFS='|'; echo "${common_skip[*]}")" \
			--junit-report=junit_serial.xml --output-dir="$artifacts" \
			"$KUBE_BIN/e2e.test" -- "${e2e_flags[@]}" || status=$?
	fi
	echo "conformance: $selection took $((SECONDS - start))s"
	go run ./test/conformance/junit "$artifacts"/junit_*.xml || status=$?
	return "$status"
}

status=0
for s in $SELECTIONS; do run_selection "$s" || status=1; done
exit "$status"
