package routecontroller_test

import (
	"testing"

	"k8s.io/client-go/informers"

	"github.com/dualnet/dualnet/internal/controller/routecontroller"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/testutil/stop"
)

func TestAStopWhileTheControllerStartsIsACleanStop(t *testing.T) {
	client := kubetest.FastClient(t)
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := routecontroller.New(client, factory.Core().V1().Nodes(),
		routecontroller.Options{Backend: azureBackend(t, emulator(t), 400), PodCIDRs: podCIDRs, MaxRoutes: 400})
	if err != nil {
		t.Fatal(err)
	}
	// The informers never started: the node cache cannot have synced when Run waits for it.
	stop.WhileStartingIsClean(t, c.Run)
	if err := c.Ready(); err == nil {
		t.Error("Ready after a stop before any sync = nil, want not ready")
	}
	if err := c.TableRead(); err == nil {
		t.Error("TableRead after a stop before any read = nil, want not read")
	}
}
