package routecontroller_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	"github.com/dualnet/dualnet/internal/armemu"
	"github.com/dualnet/dualnet/internal/controller/nodeipam/nodeipamtest"
	"github.com/dualnet/dualnet/internal/controller/routecontroller"
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
	t.Helper()
	srv, err := armemu.Start(armemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	srv.CreateRouteTable(sub, group, table, "westeurope")
	return srv
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
	client := nodeipamtest.FastClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	opts.Recorder = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "dualnet-controller-test"})
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
		broadcaster.Shutdown()
	}
	t.Cleanup(r.stop)
	return r
}
