#!/usr/bin/env bash
# Builds the Kubernetes binaries that dualnet's tests and lab run (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kube-proxy, kubectl, kubelet, and agnhost, the e2e
# suite's test image's program) into a cache outside the clone, keyed by version, so the
# ~10-minute cold build happens once per machine (test/cachedbuild.sh says how).
#
#   KUBE_VERSION=v1.37.2 OUT=/var/cache/dualnet/kube/v1.37.2 bash test/kube/build.sh [name ...]
#
# With names, only those binaries are built.
set -euo pipefail

script=test/kube/build.sh
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../cachedbuild.sh
source "$here/../cachedbuild.sh"
KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
OUT="${OUT:-/var/cache/dualnet/kube/${KUBE_VERSION}}"

want_version k8s.io/kubernetes "$here/go.mod" "$KUBE_VERSION"
etcd_version="$(required_version go.etcd.io/etcd/server/v3 "$here/etcd/go.mod")"
[[ -n "$etcd_version" ]] || die "test/kube/etcd/go.mod does not require go.etcd.io/etcd/server/v3"

names=(etcd kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubectl kubelet agnhost)
cache_select "$@"

cache_init

# shellcheck source=ldflags.sh
source "$here/ldflags.sh"

for name in "${names[@]}"; do
	# CGO off as in Kubernetes' release builds: static binaries that run in any namespace.
	case "$name" in
	etcd)
		cache_build etcd "$here/etcd" --version "etcd Version: ${etcd_version#v}" \
			CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o @OUT@ .
		;;
	kubectl)
		cache_build kubectl "$here" "version --client" "Client Version: $KUBE_VERSION" \
			CGO_ENABLED=0 "$GO" build -trimpath -ldflags "$kube_ldflags" -o @OUT@ ./cmd/kubectl
		;;
	agnhost)
		# The version the e2e suite expects of registry.k8s.io/e2e-test-images/agnhost is the
		# one beside its source.
		agnhost_dir="$(cd "$here" && GOFLAGS=-mod=readonly "$GO" list -f '{{.Dir}}' k8s.io/kubernetes/test/images/agnhost)" ||
			die "cannot find k8s.io/kubernetes/test/images/agnhost in test/kube's modules"
		agnhost_version="$(<"$agnhost_dir/VERSION")"
		cache_build agnhost "$here" --version "app version $agnhost_version" \
			CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w -X main.Version=$agnhost_version" \
			-o @OUT@ k8s.io/kubernetes/test/images/agnhost
		;;
	*)
		cache_build "$name" "$here" --version "Kubernetes $KUBE_VERSION" \
			CGO_ENABLED=0 "$GO" build -trimpath -ldflags "$kube_ldflags" -o @OUT@ "./cmd/$name"
		;;
	esac
done
cache_summary "kube binaries for $KUBE_VERSION"
