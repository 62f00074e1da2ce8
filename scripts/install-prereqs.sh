#!/usr/bin/env bash
# Installs what dualnet's build, tests and lab need on a Debian machine (run as root).
# Go itself comes with the machine (/usr/local/go); Debian's golang package is too old.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# libseccomp-dev and pkg-config: runc is built with cgo and the seccomp tag (test/node/README.md).
packages=(make git gcc nftables iproute2 iputils-ping conntrack curl procps libseccomp-dev pkg-config)
# The lab's images are made of these programs (internal/lab/images): nginx, busybox, and the
# curl, OpenBSD nc, wget, dig and iperf (2, as upstream's agnhost has) that the agnhost image holds.
packages+=(nginx-light busybox-static netcat-openbsd bind9-dnsutils wget iperf)
if [ "$(id -u)" -ne 0 ]; then
  echo "install-prereqs: run as root (dualnet's tests and lab create network namespaces)" >&2
  exit 1
fi
echo "install-prereqs: apt-get install ${packages[*]}"
apt-get update -qq
# Installing nginx would start it on this machine's port 80; the lab only copies its files.
# A policy-rc.d that says no keeps every package's service stopped (invoke-rc.d and
# deb-systemd-invoke both ask it).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq "${packages[@]}" >/dev/null
export PATH="/usr/local/go/bin:$PATH"
if ! command -v go >/dev/null; then
  echo "install-prereqs: Go 1.26 or newer is needed at /usr/local/go/bin/go" >&2
  exit 1
fi
echo "install-prereqs: $(go version), $(nft --version), $(ip -V)"
