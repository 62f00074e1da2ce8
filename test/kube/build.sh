#!/usr/bin/env bash
# Builds the Kubernetes binaries that dualnet's tests and lab run (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kube-proxy, kubectl) into a cache outside the clone,
# keyed by version, so the ~10-minute cold build happens once per machine.
#
#   KUBE_VERSION=v1.37.2 OUT=/var/cache/dualnet/kube/v1.37.2 bash test/kube/build.sh
#
# A binary that is present and reports the wanted version is kept. Each binary is built under
# a temporary name and renamed into place, so an interrupted build never leaves half a binary
# where the tests look. Concurrent runs (several `make test` at once) wait for each other
# instead of building the same thing twice.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GO="${GO:-go}"
KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
OUT="${OUT:-/var/cache/dualnet/kube/${KUBE_VERSION}}"

die() { echo "test/kube/build.sh: $*" >&2; exit 1; }

command -v "$GO" >/dev/null 2>&1 ||
	die "'$GO' not found in PATH: install Go 1.26 or newer (https://go.dev/dl/) or set GO=/path/to/go"

# The stamped version must be the one the modules are pinned to, or the binaries would lie.
# required_version module go.mod: the version go.mod requires, in a require block or not.
required_version() {
	awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$2"
}
pinned="$(required_version k8s.io/kubernetes "$here/go.mod")"
[[ "$pinned" == "$KUBE_VERSION" ]] ||
	die "KUBE_VERSION=$KUBE_VERSION but test/kube/go.mod pins k8s.io/kubernetes $pinned; change both together"
etcd_version="$(required_version go.etcd.io/etcd/server/v3 "$here/etcd/go.mod")"
[[ -n "$etcd_version" ]] || die "test/kube/etcd/go.mod does not require go.etcd.io/etcd/server/v3"

mkdir -p "$OUT" || die "cannot create OUT=$OUT (run as a user that can write there, or set DUALNET_CACHE)"
exec 9>"$OUT/.build.lock"
if ! flock -n 9; then
	echo "another build of $OUT is running; waiting for it ..."
	flock 9
fi

minor="${KUBE_VERSION#v*.}"
minor="${minor%%.*}"
major="${KUBE_VERSION#v}"
major="${major%%.*}"
# Both version packages, as Kubernetes' hack/lib/version.sh stamps them: component-base for
# servers' --version, client-go for kubectl and every client's User-Agent.
kube_ldflags="-s -w"
for vpkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	kube_ldflags+=" -X $vpkg.gitVersion=$KUBE_VERSION -X $vpkg.gitMajor=$major -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean"
done

# name, module directory, package, ldflags, the arguments that print the version, the line
# they must print.
targets=(
	"etcd|$here/etcd|.|-s -w|--version|etcd Version: ${etcd_version#v}"
	"kube-apiserver|$here|./cmd/kube-apiserver|$kube_ldflags|--version|Kubernetes $KUBE_VERSION"
	"kube-controller-manager|$here|./cmd/kube-controller-manager|$kube_ldflags|--version|Kubernetes $KUBE_VERSION"
	"kube-scheduler|$here|./cmd/kube-scheduler|$kube_ldflags|--version|Kubernetes $KUBE_VERSION"
	"kube-proxy|$here|./cmd/kube-proxy|$kube_ldflags|--version|Kubernetes $KUBE_VERSION"
	"kubectl|$here|./cmd/kubectl|$kube_ldflags|version --client|Client Version: $KUBE_VERSION"
)

tmp=""
ticker=""
cleanup() {
	if [[ -n "$ticker" ]]; then kill "$ticker" 2>/dev/null || true; fi
	if [[ -n "$tmp" ]]; then rm -f "$tmp"; fi
}
trap cleanup EXIT

stamped() { # binary, version arguments, wanted version line
	local args
	read -ra args <<<"$2"
	[[ -x "$1" ]] || return 1
	# Captured first: with pipefail, `grep -q` closing the pipe early would fail the check.
	local out
	out="$("$1" "${args[@]}" 2>/dev/null)" || return 1
	grep -qxF "$3" <<<"$out"
}

total=${#targets[@]}
i=0
built=0
all_start=$SECONDS
for t in "${targets[@]}"; do
	IFS='|' read -r name dir pkg ldflags version_args want <<<"$t"
	i=$((i + 1))
	if stamped "$OUT/$name" "$version_args" "$want"; then
		echo "$name ($i/$total) is up to date ($want)"
		continue
	fi
	echo "building $name ($i/$total) ..."
	start=$SECONDS
	tmp="$OUT/.$name.tmp.$$"
	# CGO off as in Kubernetes' release builds: static binaries that run in any namespace.
	(cd "$dir" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly" \
		"$GO" build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg") &
	pid=$!
	(while sleep 30; do echo "  ... $name still building, $((SECONDS - start))s"; done) &
	ticker=$!
	status=0
	wait "$pid" || status=$?
	kill "$ticker" 2>/dev/null || true
	wait "$ticker" 2>/dev/null || true
	ticker=""
	((status == 0)) || die "go build of $name failed (see the errors above)"
	stamped "$tmp" "$version_args" "$want" || die "$name was built but \`$name $version_args\` does not print \"$want\""
	mv -f "$tmp" "$OUT/$name"
	tmp=""
	built=$((built + 1))
	echo "built $name ($i/$total) in $((SECONDS - start))s"
done
echo "kube binaries for $KUBE_VERSION in $OUT ($built built, $((total - built)) up to date, $((SECONDS - all_start))s)"
