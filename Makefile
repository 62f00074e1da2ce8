# dualnet's build and test entry points. `make test` is the one command CI runs (.ci/run).
SHELL := /bin/bash
GO ?= go
KUBE_VERSION := v1.37.2
# The Kubernetes binaries take ~10 minutes to build cold, so they live outside the clone,
# keyed by version, and are built once per machine.
DUALNET_CACHE ?= /var/cache/dualnet
KUBE_BIN_DIR := $(DUALNET_CACHE)/kube/$(KUBE_VERSION)
export DUALNET_KUBE_BIN ?= $(KUBE_BIN_DIR)
# What a lab node runs besides the kubelet, cached the same way, keyed by all their versions
# (test/node/README.md). Each version must be the one its module under test/node pins.
CONTAINERD_VERSION := v2.4.2
RUNC_VERSION := v1.5.3
COREDNS_VERSION := v1.14.6
CRICTL_VERSION := v1.37.0
NODE_BIN_DIR := $(DUALNET_CACHE)/node/containerd-$(CONTAINERD_VERSION)_runc-$(RUNC_VERSION)_coredns-$(COREDNS_VERSION)_crictl-$(CRICTL_VERSION)
export DUALNET_NODE_BIN ?= $(NODE_BIN_DIR)
# A count, not a duration: Go 1.26 can report a spurious "context deadline exceeded" when a
# duration -fuzztime ends mid-execution (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 20000x

.PHONY: all build image test vet quick unit e2e soak fuzz kube-bins node-bins e2e-bins lab lab-down plan bench clean conformance conformance-full

all: build

# Static binaries: the agent copies dualnet-cni onto the node, whatever its libc, and the
# agent and controller run from a minimal image (Go's own DNS resolver is what they use).
# Upstream's portmap and bandwidth plugins (go.mod tools, at go.mod's version) go beside
# dualnet-cni: the agent installs them all, and chains portmap for pods' hostPort and
# bandwidth for their bandwidth annotations.
PORTMAP := github.com/containernetworking/plugins/plugins/meta/portmap
BANDWIDTH := github.com/containernetworking/plugins/plugins/meta/bandwidth
# The version every binary prints (internal/version): the nearest tag, or v0.0.0-<short sha>
# while the repository has none; "-dirty" when the tree has uncommitted changes. Outside a git
# clone it stays unstamped ("dev").
VERSION ?= $(shell git describe --tags --dirty 2>/dev/null || \
	{ sha=$$(git describe --always --dirty 2>/dev/null) && echo "v0.0.0-$$sha"; })
LDFLAGS := $(if $(VERSION),-X github.com/dualnet/dualnet/internal/version.Version=$(VERSION))
build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o bin/ ./cmd/... $(PORTMAP) $(BANDWIDTH)

## image: the container image as a tarball, no container engine needed (cmd/dualnet-image).
# Its tag is the one deploy/dualnet.yaml runs, not $(VERSION): the manifest names a fixed tag,
# and the binaries inside carry $(VERSION) from `build`. Load it with `ctr -n k8s.io images
# import`, `kind load image-archive` or `docker load -i` (deploy/README.md).
IMAGE ?= $(shell sed -n 's/^ *image: *//p' deploy/dualnet.yaml | sort -u)
image: build
	./bin/dualnet-image --out bin/dualnet-image.tar --tag '$(IMAGE)'

## lab: the main job: a 3-node dual-stack kubenet cluster on this machine (kubectl works).
lab: image kube-bins node-bins
	./bin/dualnet lab up
	@echo 'kubectl: export KUBECONFIG=$$(mktemp) && ./bin/dualnet lab kubeconfig > $$KUBECONFIG'

lab-down: build
	./bin/dualnet lab down

## plan: check the default spec and show three nodes' allocation (no lab needed).
plan:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/ ./cmd/dualnet
	./bin/dualnet plan --ip-families ipv4,ipv6 --nodes 3

## kube-bins: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, kubectl,
## kubelet, agnhost.
kube-bins:
	KUBE_VERSION=$(KUBE_VERSION) OUT=$(KUBE_BIN_DIR) bash test/kube/build.sh

## node-bins: containerd, containerd-shim-runc-v2, ctr, runc, crictl, coredns.
node-bins:
	CONTAINERD_VERSION=$(CONTAINERD_VERSION) RUNC_VERSION=$(RUNC_VERSION) COREDNS_VERSION=$(COREDNS_VERSION) \
	  CRICTL_VERSION=$(CRICTL_VERSION) OUT=$(NODE_BIN_DIR) bash test/node/build.sh

## e2e-bins: Kubernetes' e2e suite (e2e.test) and the ginkgo CLI, beside the kube binaries.
e2e-bins:
	KUBE_VERSION=$(KUBE_VERSION) OUT=$(KUBE_BIN_DIR) bash test/kube/build-e2e.sh

## vet: gofmt, goimports (dualnet's imports in a group of their own), go vet and staticcheck
# (its default checks), each over the e2e files and the plugin's test hooks too; go.mod tidy.
# goimports and staticcheck are go.mod tools, so they run at go.mod's version from the module
# cache (or the module proxy, once).
GOIMPORTS := $(GO) tool goimports -local github.com/dualnet/dualnet
vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	@test -z "$$($(GOIMPORTS) -l $$(git ls-files '*.go'))" || { echo "goimports needed:"; $(GOIMPORTS) -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet -tags e2e ./...
	$(GO) vet -tags 'e2e soak' ./test/e2e
	$(GO) vet -tags dualnet_testhooks ./internal/cni/...
	$(GO) tool staticcheck -tags e2e ./...
	$(GO) tool staticcheck -tags 'e2e soak' ./test/e2e
	$(GO) tool staticcheck -tags dualnet_testhooks ./internal/cni/...
	$(GO) mod tidy -diff

## quick: the pure core's tests, in seconds: no root, no network namespace, no Kubernetes
# binaries. A package is listed only if its whole test suite passes as an unprivileged user
# without the Kubernetes binaries; the rest need `make unit`.
QUICK_PKGS := ./internal/netspec ./internal/netspec/specfile ./internal/plan ./internal/ipam ./internal/routes \
	./internal/routes/azure ./internal/armemu ./internal/cni/config ./internal/dataplane/cniconfig \
	./internal/podipam ./internal/health ./internal/worker
quick:
	$(GO) test -count=1 -timeout 5m $(QUICK_PKGS)

## unit: every Go test in the module; namespace and control-plane tests need root.
unit: kube-bins
	$(GO) test -count=1 -timeout 30m ./...

## fuzz: each fuzz target for a bounded number of executions.
fuzz:
	@set -e; for target in $$(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./test/kube/' | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$target/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "fuzz $$target $$f ($(FUZZTIME))"; \
	    $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$target; \
	  done; \
	done

## e2e: the AKS walkthrough, command for command, on `dualnet lab`, and the rest of the lab e2e.
e2e: kube-bins node-bins
	$(GO) test -tags e2e -count=1 -timeout 60m ./test/e2e

## soak: the lab's lifecycle under repetition: 20 `lab up`/`lab down` cycles of one name and
## 200 pod starts beside 3 serving pods (about 25 minutes on 2 cores; not part of `make test`).
soak: kube-bins node-bins
	$(GO) test -tags 'e2e soak' -count=1 -timeout 90m -run 'TestLabLifecycle' -v ./test/e2e

## conformance: the upstream e2e network suite (e2e.test v1.37.2) on a lab: the dual-stack
## and primary-family selections (CONFORMANCE_SELECTIONS), each a table and a JUnit report under
## _artifacts/conformance/; conformance-full runs the broad one, as kind's dual-stack CI selects.
CONFORMANCE_SELECTIONS ?= dualstack primary
conformance: image kube-bins node-bins e2e-bins
	SELECTION="$(CONFORMANCE_SELECTIONS)" bash test/conformance/run.sh

conformance-full: image kube-bins node-bins e2e-bins
	SELECTION=broad bash test/conformance/run.sh

## bench: every benchmark, dualnet against its reference, figures and ratios printed, and all
## of it in one markdown report, $(BENCH_REPORT) (bench/report.sh), opening with a table of
## every goal's verdict (bench/goals).
BENCH_REPORT ?= _artifacts/bench.md
bench: image kube-bins node-bins
	bash bench/report.sh $(BENCH_REPORT)

test: vet unit e2e fuzz conformance

clean:
	rm -rf bin
