#!/usr/bin/env bash
# Builds what a lab node runs besides the kubelet (containerd, containerd-shim-runc-v2, ctr,
# runc, crictl, coredns) into a cache outside the clone, keyed by all their versions, so the
# cold build happens once per machine (test/cachedbuild.sh says how).
#
#   OUT=/var/cache/dualnet/node/containerd-v2.4.2_runc-v1.5.3_coredns-v1.14.6_crictl-v1.37.0 \
#     CONTAINERD_VERSION=v2.4.2 RUNC_VERSION=v1.5.3 COREDNS_VERSION=v1.14.6 CRICTL_VERSION=v1.37.0 \
#     bash test/node/build.sh [name ...]
#
# With names, only those binaries are built. Each comes from its own module under test/node
# (README.md there says why each is built as it is).
set -euo pipefail

script=test/node/build.sh
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../cachedbuild.sh
source "$here/../cachedbuild.sh"

CONTAINERD_VERSION="${CONTAINERD_VERSION:-v2.4.2}"
RUNC_VERSION="${RUNC_VERSION:-v1.5.3}"
COREDNS_VERSION="${COREDNS_VERSION:-v1.14.6}"
CRICTL_VERSION="${CRICTL_VERSION:-v1.37.0}"
OUT="${OUT:-/var/cache/dualnet/node/containerd-${CONTAINERD_VERSION}_runc-${RUNC_VERSION}_coredns-${COREDNS_VERSION}_crictl-${CRICTL_VERSION}}"

want_version github.com/containerd/containerd/v2 "$here/containerd/go.mod" "$CONTAINERD_VERSION"
want_version github.com/opencontainers/runc "$here/runc/go.mod" "$RUNC_VERSION"
want_version github.com/coredns/coredns "$here/coredns/go.mod" "$COREDNS_VERSION"
want_version sigs.k8s.io/cri-tools "$here/crictl/go.mod" "$CRICTL_VERSION"

names=(containerd containerd-shim-runc-v2 ctr runc crictl coredns)
cache_select "$@"

cache_init

# containerd reports its version to the kubelet, which shows it as containerd://<version>.
ctrd=github.com/containerd/containerd/v2
ctrd_version="${CONTAINERD_VERSION#v}"
# CGO off, as upstream builds the shim: static binaries. no_btrfs: the btrfs snapshotter needs
# cgo and is not used. urfave_cli_no_docs: drops the man-page generator, as upstream does.
ctrd_build=(CGO_ENABLED=0 "$GO" build -trimpath -tags urfave_cli_no_docs,no_btrfs
	-ldflags "-s -w -X $ctrd/version.Version=$ctrd_version" -o @OUT@)

for name in "${names[@]}"; do
	case "$name" in
	containerd | ctr)
		cache_build "$name" "$here/containerd" --version "$name $ctrd $ctrd_version" \
			"${ctrd_build[@]}" "$ctrd/cmd/$name"
		;;
	containerd-shim-runc-v2)
		cache_build "$name" "$here/containerd" -v "  Version:  $ctrd_version" \
			"${ctrd_build[@]}" "$ctrd/cmd/$name"
		;;
	runc)
		# cgo on: runc init's namespace setup (libcontainer/nsenter) is C, and without cgo it
		# is silently left out. seccomp: links libseccomp, so a pod asking for the
		# RuntimeDefault profile runs; its version line proves it is there.
		cache_build runc "$here/runc" --version "runc version ${RUNC_VERSION#v};libseccomp:" \
			CGO_ENABLED=1 "$GO" build -trimpath -tags "seccomp urfave_cli_no_docs" \
			-ldflags "-s -w" -o @OUT@ github.com/opencontainers/runc
		;;
	crictl)
		cache_build crictl "$here/crictl" --version "crictl version ${CRICTL_VERSION#v}" \
			CGO_ENABLED=0 "$GO" build -trimpath \
			-ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${CRICTL_VERSION#v}" \
			-o @OUT@ sigs.k8s.io/cri-tools/cmd/crictl
		;;
	coredns)
		cache_build coredns "$here/coredns" -version "CoreDNS-${COREDNS_VERSION#v}" \
			CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o @OUT@ .
		;;
	esac
done
cache_summary "node binaries"
