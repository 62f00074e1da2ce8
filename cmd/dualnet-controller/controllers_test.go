package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/informers"

	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/routes/kernel/kerneltest"
)

// openHandlesOf counts this process's file descriptors open on the network namespace (by
// device and inode: a handle opened through /run/netns reads back as that path).
func openHandlesOf(t *testing.T, ns string) int {
	t.Helper()
	want, err := os.Stat(netns.Path(ns))
	if err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		if st, err := os.Stat(filepath.Join("/proc/self/fd", fd.Name())); err == nil && os.SameFile(st, want) {
			n++
		}
	}
	return n
}

// When node IPAM fails to start after the route controller opened its namespace, the route
// controller never runs; its namespace handle and netlink socket must still be released.
func TestControllerThatFailsToStartReleasesTheRouteBackendOfThoseStartedBefore(t *testing.T) {
	ns := kerneltest.Router(t, "ctlclose")
	before := openHandlesOf(t, ns)

	// Node IPAM's metrics are taken, so its start fails after the route controller's.
	metrics := prometheus.NewRegistry()
	metrics.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "dualnet_nodeipam_allocated_nodes", Help: "taken by the test"}))
	opts := &options{ipam: ipamDualnet, holdDown: time.Minute,
		routes: routeOptions{backend: routesKernel, netns: ns, credential: credentialDefault, resync: time.Second}}
	client := kubetest.Client()
	var readiness atomic.Pointer[[]func() error]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := runControllers(ctx, &controllerContext{Spec: netspec.Default(), Options: opts, Client: client,
		Informers: informers.NewSharedInformerFactory(client, 0), Metrics: metrics, ready: &readiness})
	if err == nil || !strings.Contains(err.Error(), "start nodeipam controller") {
		t.Fatalf("runControllers = %v, want node IPAM's start to fail", err)
	}
	if after := openHandlesOf(t, ns); after != before {
		t.Errorf("%d handles on namespace %s after the failed start, want %d: the route backend leaked", after, ns, before)
	}
}
