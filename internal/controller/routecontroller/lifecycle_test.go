package routecontroller_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/client-go/informers"

	"github.com/dualnet/dualnet/internal/controller/routecontroller"
	"github.com/dualnet/dualnet/internal/kubetest"
)

func TestAStopWhileTheControllerStartsIsACleanStop(t *testing.T) {
	client := kubetest.FastClient(t)
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := routecontroller.New(client, factory.Core().V1().Nodes(),
		routecontroller.Options{Backend: azureBackend(t, emulator(t), 400), PodCIDRs: podCIDRs, MaxRoutes: 400})
	if err != nil {
		t.Fatal(err)
	}
	// Stopped before Run begins, the informers never started: the node cache cannot have
	// synced when Run waits for it.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run stopped while starting = %v, want nil (a clean stop)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30s of a stop while starting")
	}
	if err := c.Ready(); err == nil {
		t.Error("Ready after a stop before any sync = nil, want not ready")
	}
}
