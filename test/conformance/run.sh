#!/usr/bin/env bash
# Runs the upstream Kubernetes e2e network suite (e2e.test v1.37.2, built by
# test/kube/build-e2e.sh) against a dualnet lab: the check nobody here wrote.
#
#   SELECTION=dualstack|primary|broad bash test/conformance/run.sh
#
# It brings up a lab (--name conformance) unless one of that name runs, runs the selection's
# specs with --provider=skeleton (no SSH, no cloud), writes the JUnit report under
# _artifacts/conformance/<selection>/ and prints a table: spec, result, time, and why a spec
# was skipped. Every spec talks only to the lab: specs that need the internet are skipped by
# name below, with the reason.
set -euo pipefail
cd "$(dirname "$0")/../.."

SELECTION="${SELECTION:-dualstack}"
KUBE_BIN="${DUALNET_KUBE_BIN:-/var/cache/dualnet/kube/v1.37.2}"
LAB="${LAB:-conformance}"
ARTIFACTS="${ARTIFACTS:-$PWD/_artifacts/conformance}/$SELECTION"
NODES="${GINKGO_NODES:-4}"

die() { echo "test/conformance/run.sh: $*" >&2; exit 1; }
for b in e2e.test ginkgo kubectl; do
	[[ -x "$KUBE_BIN/$b" ]] || die "$KUBE_BIN/$b is missing: run \`make e2e-bins kube-bins\`"
done

# Skips shared by every selection, each with its reason.
common_skip=(
	'SCTPConnectivity|sctp'          # SCTP: not a kubenet feature; the lab's kernel has no sctp module loaded
	'Disruptive|Flaky|Serial'        # they restart nodes or need the whole cluster to themselves
	'Internet.connection'            # needs the internet; the lab never leaves the machine
	'LoadBalancer'                   # needs a cloud provider in e2e.test (the lab's LB is tested by dualnet's own e2e)
)

# serial_specs run one at a time after the parallel part: they bind the same host ports on every
# node, and in v1.37.2 a failure of the hostNetwork one sleeps 10 hours (dual_stack.go).
case "$SELECTION" in
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
broad)
	focus='\[sig-network\]|\[Conformance\]'
	# As kind's dual-stack CI, plus what needs what the lab lacks (each named):
	#   Alpha|Beta: features off in a default cluster; NetworkPolicy: dualnet implements none
	#   (as AKS kubenet without Calico); Networking-IPv[46]: connectivity to the internet;
	#   DNS.*(for the cluster|ExternalName|PTR|pods' hostname): need external names or an
	#   upstream resolver, which the lab's CoreDNS does not forward to.
	skip='Alpha|Beta|NetworkPolicy|Networking-IPv[46]|using hostNetwork'
	serial_focus=''
	;;
*) die "SELECTION=$SELECTION: want dualstack, primary or broad" ;;
esac
skip="$skip|$(IFS='|'; echo "${common_skip[*]}")"

state_root=/run/dualnet-lab
if [[ ! -f "$state_root/$LAB/state.json" ]]; then
	echo "conformance: no lab \"$LAB\" runs: bringing one up"
	./bin/dualnet lab up --name "$LAB"
fi
kubeconfig="$(mktemp)"
trap 'rm -f "$kubeconfig"' EXIT
./bin/dualnet lab kubeconfig --name "$LAB" >"$kubeconfig"

# The node count, given: in a parallel run only the first process would count them, and the
# others' specs that need two nodes would skip themselves ("Requires at least 2 nodes").
num_nodes="$("$KUBE_BIN/kubectl" --kubeconfig="$kubeconfig" get nodes --no-headers | wc -l)"
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/junit_*.xml
e2e_flags=(--provider=skeleton --kubeconfig="$kubeconfig" --kubectl-path="$KUBE_BIN/kubectl" --num-nodes="$num_nodes"
	--dump-logs-on-failure=false --disable-log-dump=true --e2e-output-dir="$ARTIFACTS")
start=$SECONDS
status=0
echo "conformance: $SELECTION: focus '$focus', skip '$skip', $NODES parallel"
"$KUBE_BIN/ginkgo" --no-color --silence-skips --nodes="$NODES" --timeout=90m --focus="$focus" --skip="$skip" \
	--junit-report=junit_parallel.xml --output-dir="$ARTIFACTS" \
	"$KUBE_BIN/e2e.test" -- "${e2e_flags[@]}" || status=$?
if [[ -n "$serial_focus" ]]; then
	echo "conformance: $SELECTION: the hostNetwork spec alone, 15 minutes at most"
	"$KUBE_BIN/ginkgo" --no-color --silence-skips --nodes=1 --timeout=15m --focus="$serial_focus" --skip="$(IFS='|'; echo "${common_skip[*]}")" \
		--junit-report=junit_serial.xml --output-dir="$ARTIFACTS" \
		"$KUBE_BIN/e2e.test" -- "${e2e_flags[@]}" || status=$?
fi
echo "conformance: $SELECTION took $((SECONDS - start))s"
go run ./test/conformance/junit "$ARTIFACTS"/junit_*.xml || status=$?
exit "$status"
