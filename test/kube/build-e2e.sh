#!/usr/bin/env bash
# Builds Kubernetes' e2e suite (e2e.test, from k8s.io/kubernetes/test/e2e) and the ginkgo CLI
# that runs it in parallel, at the versions test/kube/go.mod pins, into the same cache as
# build.sh. Apart from build.sh because the suite is the largest compile of all (about 2,800
# packages): only `make e2e-bins` (and what needs the suite) pays for it.
#
#   KUBE_VERSION=v1.37.2 OUT=/var/cache/dualnet/kube/v1.37.2 bash test/kube/build-e2e.sh [name ...]
set -euo pipefail

script=test/kube/build-e2e.sh
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../cachedbuild.sh
source "$here/../cachedbuild.sh"
KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
OUT="${OUT:-/var/cache/dualnet/kube/${KUBE_VERSION}}"

want_version k8s.io/kubernetes "$here/go.mod" "$KUBE_VERSION"
ginkgo_version="$(required_version github.com/onsi/ginkgo/v2 "$here/go.mod")"
[[ -n "$ginkgo_version" ]] || die "test/kube/go.mod does not require github.com/onsi/ginkgo/v2"

names=(e2e.test ginkgo)
cache_select "$@"

cache_init
# shellcheck source=ldflags.sh
source "$here/ldflags.sh"

for name in "${names[@]}"; do
	case "$name" in
	e2e.test)
		# The suite logs and reports this version (e2e.test --version). -vet=off: `go test -c`
		# vets by default, which means vet over all ~2,800 packages for its facts (a third
		# more time), on code upstream's CI has vetted.
		cache_build e2e.test "$here" --version "$KUBE_VERSION" \
			CGO_ENABLED=0 "$GO" test -c -vet=off -trimpath -ldflags "$kube_ldflags" -o @OUT@ k8s.io/kubernetes/test/e2e
		;;
	ginkgo)
		cache_build ginkgo "$here" version "Ginkgo Version ${ginkgo_version#v}" \
			CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o @OUT@ github.com/onsi/ginkgo/v2/ginkgo
		;;
	esac
done
cache_summary "e2e binaries for $KUBE_VERSION"
