package nodeipam_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/dualnet/dualnet/internal/controller/nodeipam"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// startController runs a node IPAM controller until the test ends.
func startController(t testing.TB, opts nodeipam.Options) *nodeipam.Controller {
	t.Helper()
	return startControllerWith(t, kubetest.FastClient(t), opts)
}

// startControllerWith is startController with the client the controller uses.
func startControllerWith(t testing.TB, client kubernetes.Interface, opts nodeipam.Options) *nodeipam.Controller {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	opts.Recorder = kubetest.Recorder(ctx, client)
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := nodeipam.New(client, factory.Core().V1().Nodes(), opts)
	if err != nil {
		t.Fatalf("new controller: %v", err)
	}
	factory.Start(ctx.Done())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	poll.Eventually(t, 30*time.Second, "the controller rebuilds its state", func() error {
		err := c.Ready()
		return poll.Met(err == nil, fmt.Sprint(err))
	})
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller: %v", err)
		}
		factory.Shutdown()
	})
	return c
}

// routesHook is a RoutesGone hook a test flips by hand, recording what it was asked.
type routesHook struct {
	mu    sync.Mutex
	gone  bool
	asked [][]netip.Prefix
	// For RoutesReady and routesPresent.
	ready      bool
	readyAsked int
	present    map[netip.Prefix]bool
}

// routesReady reports the route table read once hook.ready is set.
func (h *routesHook) routesReady() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.readyAsked++
	if !h.ready {
		return errors.New("route table not read yet")
	}
	return nil
}

// routesPresent is a RoutesGone hook backed by a set of prefixes with routes.
func (h *routesHook) routesPresent(cidrs []netip.Prefix) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range cidrs {
		if h.present[p] {
			return false
		}
	}
	return true
}

func (h *routesHook) set(fn func(h *routesHook)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn(h)
}

func (h *routesHook) timesAskedReady() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.readyAsked
}

func (h *routesHook) routesGone(cidrs []netip.Prefix) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.asked = append(h.asked, cidrs)
	return h.gone
}

func (h *routesHook) wasAsked(cidrs []string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.ContainsFunc(h.asked, func(got []netip.Prefix) bool {
		return slices.Equal(got, mustPrefixes(cidrs))
	})
}

func (h *routesHook) setGone() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gone = true
}

func mustPrefixes(ss []string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func mustSpec(t testing.TB, in netspec.Input) netspec.Spec {
	t.Helper()
	s, err := netspec.Parse(in)
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	return s
}
