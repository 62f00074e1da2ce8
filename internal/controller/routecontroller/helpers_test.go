package routecontroller_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"k8s.io/client-go/informers"

	"github.com/dualnet/dualnet/internal/armemu"
	"github.com/dualnet/dualnet/internal/armemu/armemutest"
	"github.com/dualnet/dualnet/internal/controller/routecontroller"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/routes"
	"github.com/dualnet/dualnet/internal/routes/azure"
)

const (
	sub   = "11111111-2222-3333-4444-555555555555"
	group = "aks-nodes-rg"
	table = "aks-agentpool-routetable"
)

var podCIDRs = []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd12:3456:789a::/64")}

// emulator starts armemu with an empty route table, as an AKS cluster's would be.
func emulator(t testing.TB) *armemu.Server {
	return armemutest.Start(t, sub, group, table)
}

func azureBackend(t testing.TB, srv *armemu.Server, maxRoutes int) routes.Backend {
	t.Helper()
	b, err := azure.New(azure.Config{SubscriptionID: sub, ResourceGroup: group, RouteTable: table,
		Endpoint: srv.URL(), Transport: srv.HTTPClient(), Credential: azure.StaticToken("test"),
		PodCIDRs: podCIDRs, MaxRoutes: maxRoutes,
		Retry: policy.RetryOptions{RetryDelay: 50 * time.Millisecond, MaxRetryDelay: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// running is a controller started by a test; stop ends it as a crash would, any time.
type running struct {
	*routecontroller.Controller
	stop func()
}

func startController(t testing.TB, opts routecontroller.Options) *running {
	t.Helper()
	client := kubetest.FastClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	opts.Recorder = kubetest.Recorder(ctx, client)
	if opts.PodCIDRs == nil {
		opts.PodCIDRs = podCIDRs
	}
	if opts.MaxRoutes == 0 {
		opts.MaxRoutes = 400
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := routecontroller.New(client, factory.Core().V1().Nodes(), opts)
	if err != nil {
		cancel()
		t.Fatalf("new controller: %v", err)
	}
	factory.Start(ctx.Done())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stopped := false
	r := &running{Controller: c}
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller: %v", err)
		}
		factory.Shutdown()
	}
	t.Cleanup(r.stop)
	return r
}
