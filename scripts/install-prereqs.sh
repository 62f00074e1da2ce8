#!/usr/bin/env bash
# Installs what dualnet's build, tests and lab need on a Debian machine (run as root).
# Go itself comes with the machine (/usr/local/go); Debian's golang package is too old.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# libseccomp-dev and pkg-config: runc is built with cgo and the seccomp tag (test/node/README.md).
packages=(make git gcc nftables iproute2 iputils-ping conntrack iperf3 curl procps libseccomp-dev pkg-config)
if [ "$(id -u)" -ne 0 ]; then
  echo "install-prereqs: run as root (dualnet's tests and lab create network namespaces)" >&2
  exit 1
fi
echo "install-prereqs: apt-get install ${packages[*]}"
apt-get update -qq
apt-get install -y -qq "${packages[@]}" >/dev/null
export PATH="/usr/local/go/bin:$PATH"
if ! command -v go >/dev/null; then
  echo "install-prereqs: Go 1.26 or newer is needed at /usr/local/go/bin/go" >&2
  exit 1
fi
echo "install-prereqs: $(go version), $(nft --version), $(ip -V)"
