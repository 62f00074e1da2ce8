package routes_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	"github.com/dualnet/dualnet/internal/armemu"
	"github.com/dualnet/dualnet/internal/controller/nodeipam/nodeipamtest"
	routesctl "github.com/dualnet/dualnet/internal/controller/routes"
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
	*routesctl.Controller
	stop func()
}

func startController(t testing.TB, opts routesctl.Options) *running {
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
	c, err := routesctl.New(client, factory.Core().V1().Nodes(), opts)
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

// testNode is node i of a test: dual-stack pod CIDRs as dualnet's IPAM gives them
// (10.244.i.0/24, fd12:3456:789a:0:i::/80) and InternalIPs on the nodes' subnet.
type testNode struct {
	name     string
	podCIDRs []string
	ips      []string
}

func nodesFor(t testing.TB, from, to int) []testNode {
	prefix := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(prefix) > 40 {
		prefix = prefix[len(prefix)-40:]
	}
	prefix = strings.TrimLeft(prefix, "-")
	var out []testNode
	for i := from; i < to; i++ {
		out = append(out, testNode{
			name: fmt.Sprintf("%s-%d", prefix, i),
			podCIDRs: []string{fmt.Sprintf("10.244.%d.0/24", i),
				netip.MustParsePrefix(fmt.Sprintf("fd12:3456:789a:0:%x::/80", i)).String()},
			ips: []string{fmt.Sprintf("10.240.%d.%d", (i+4)/256, (i+4)%256), fmt.Sprintf("fd00::%x", i+4)},
		})
	}
	return out
}

// createNodes registers the nodes (16 at a time, as a scale-up would) and deletes them when
// the test ends.
func createNodes(t testing.TB, client kubernetes.Interface, nodes []testNode) {
	t.Helper()
	var g errgroup.Group
	g.SetLimit(16)
	for _, n := range nodes {
		g.Go(func() error {
			node := &corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: n.name},
				Spec:       corev1.NodeSpec{PodCIDR: n.podCIDRs[0], PodCIDRs: n.podCIDRs},
			}
			for _, ip := range n.ips {
				node.Status.Addresses = append(node.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip})
			}
			created, err := client.CoreV1().Nodes().Create(context.Background(), node, metav1.CreateOptions{})
			if err != nil {
				return fmt.Errorf("create node %s: %w", n.name, err)
			}
			if len(created.Status.Addresses) == 0 {
				created.Status.Addresses = node.Status.Addresses
				if _, err := client.CoreV1().Nodes().UpdateStatus(context.Background(), created, metav1.UpdateOptions{}); err != nil {
					return fmt.Errorf("set addresses of node %s: %w", n.name, err)
				}
			}
			return nil
		})
	}
	t.Cleanup(func() { deleteNodes(t, client, nodes) })
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

func deleteNodes(t testing.TB, client kubernetes.Interface, nodes []testNode) {
	t.Helper()
	var g errgroup.Group
	g.SetLimit(16)
	for _, n := range nodes {
		g.Go(func() error {
			err := client.CoreV1().Nodes().Delete(context.Background(), n.name, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("delete node %s: %w", n.name, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Error(err)
	}
}

// routeMap is the emulator's table as name -> "prefix via next hop".
func routeMap(t testing.TB, srv *armemu.Server) map[string]string {
	t.Helper()
	tbl, ok := srv.RouteTable(sub, group, table)
	if !ok {
		t.Fatal("route table is gone")
	}
	out := map[string]string{}
	for _, r := range tbl.Routes {
		out[r.Name] = r.AddressPrefix + " via " + r.NextHopType + " " + r.NextHopIPAddress
	}
	return out
}

// wantRoutes is what nodes need, in routeMap's form.
func wantRoutes(nodes []testNode) map[string]string {
	out := map[string]string{}
	for _, n := range nodes {
		for i, c := range n.podCIDRs {
			out[routes.RouteName(n.name, netip.MustParsePrefix(c))] = c + " via VirtualAppliance " + n.ips[i]
		}
	}
	return out
}

// hasAll reports whether got holds every route of want, and says what is missing.
func hasAll(got, want map[string]string) (bool, string) {
	missing := 0
	var example string
	for name, r := range want {
		if got[name] != r {
			missing++
			example = fmt.Sprintf("%s = %q, want %q", name, got[name], r)
		}
	}
	return missing == 0, fmt.Sprintf("%d of %d routes missing or wrong (e.g. %s); table has %d", missing, len(want), example, len(got))
}

// networkUnavailable returns each node's NetworkUnavailable condition as "Status/Reason".
func networkUnavailable(t testing.TB, client kubernetes.Interface, nodes []testNode) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range nodes {
		node, err := client.CoreV1().Nodes().Get(context.Background(), n.name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get node %s: %v", n.name, err)
		}
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeNetworkUnavailable {
				out[n.name] = string(c.Status) + "/" + c.Reason
			}
		}
	}
	return out
}

func allConditions(got map[string]string, nodes []testNode, want string) (bool, string) {
	for _, n := range nodes {
		if got[n.name] != want {
			return false, fmt.Sprintf("node %s has NetworkUnavailable %q, want %q", n.name, got[n.name], want)
		}
	}
	return true, ""
}

// eventsFor lists the nodes that got an event with the reason.
func eventsFor(t testing.TB, client kubernetes.Interface, reason string) map[string]string {
	t.Helper()
	list, err := client.CoreV1().Events(metav1.NamespaceAll).List(context.Background(), metav1.ListOptions{FieldSelector: "reason=" + reason})
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	out := map[string]string{}
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == "Node" {
			out[e.InvolvedObject.Name] = e.Type + ": " + e.Message
		}
	}
	return out
}

// addFirewallRoute puts a user's own route in the table, through the SDK as a user would.
func addFirewallRoute(t testing.TB, srv *armemu.Server) {
	t.Helper()
	f, err := armnetwork.NewClientFactory(sub, armemu.Credential(), srv.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := f.NewRoutesClient().BeginCreateOrUpdate(ctx, group, table, "to-firewall", armnetwork.Route{
		Properties: &armnetwork.RoutePropertiesFormat{AddressPrefix: to.Ptr("0.0.0.0/0"),
			NextHopType: to.Ptr(armnetwork.RouteNextHopTypeVirtualAppliance), NextHopIPAddress: to.Ptr("10.240.0.250")}}, nil)
	if err == nil {
		_, err = p.PollUntilDone(ctx, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// deleteRoute removes one route behind dualnet's back.
func deleteRoute(t testing.TB, srv *armemu.Server, name string) {
	t.Helper()
	f, err := armnetwork.NewClientFactory(sub, armemu.Credential(), srv.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := f.NewRoutesClient().BeginDelete(ctx, group, table, name, nil)
	if err == nil {
		_, err = p.PollUntilDone(ctx, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
}
