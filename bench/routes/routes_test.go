package routes

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/dualnet/dualnet/internal/armemu"
	"github.com/dualnet/dualnet/internal/controller/routecontroller"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/routes"
	"github.com/dualnet/dualnet/internal/routes/azure"
)

var putLatency = flag.Duration("put-latency", 0, "delay of every ARM PUT answer (Azure's take seconds)")

var podCIDRs = []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd12:3456:789a::/64")}

const (
	sub, group, table = "bench", "bench-rg", "bench-rt"
)

type cluster struct {
	b      *testing.B
	client kubernetes.Interface
	srv    *armemu.Server
	stop   func()
	run    int
}

// start runs armemu and a route controller against the test API server.
func start(b *testing.B, run int) *cluster {
	cfg := kubetest.Config()
	cfg.QPS, cfg.Burst = 2000, 4000
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := armemu.Start(armemu.Options{})
	if err != nil {
		b.Fatal(err)
	}
	srv.CreateRouteTable(sub, group, table, "westeurope")
	if *putLatency > 0 {
		srv.AddFault(armemu.Fault{Method: "PUT", Delay: *putLatency, Times: -1})
	}
	backend, err := azure.New(azure.Config{SubscriptionID: sub, ResourceGroup: group, RouteTable: table,
		Endpoint: srv.URL(), Transport: srv.HTTPClient(), Credential: azure.StaticToken("bench"),
		PodCIDRs: podCIDRs, MaxRoutes: 400, Retry: policy.RetryOptions{RetryDelay: 50 * time.Millisecond}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := routecontroller.New(client, factory.Core().V1().Nodes(), routecontroller.Options{Backend: backend, PodCIDRs: podCIDRs, MaxRoutes: 400})
	if err != nil {
		b.Fatal(err)
	}
	factory.Start(ctx.Done())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	cl := &cluster{b: b, client: client, srv: srv, run: run}
	cl.stop = func() {
		cancel()
		<-done
		factory.Shutdown()
		srv.Close()
	}
	cl.waitFor(time.Minute, "first sync", func() bool { return c.Ready() == nil })
	return cl
}

func (c *cluster) name(i int) string {
	return fmt.Sprintf("bench-routes-%d-%d-%d", os.Getpid(), c.run, i)
}

// addNodes registers nodes from..to-1, 16 at a time, as a scale-up would.
func (c *cluster) addNodes(from, to int) {
	var g errgroup.Group
	g.SetLimit(16)
	for i := from; i < to; i++ {
		g.Go(func() error {
			n := kubetest.Node(c.name(i),
				[]string{fmt.Sprintf("10.244.%d.0/24", i), netip.MustParsePrefix(fmt.Sprintf("fd12:3456:789a:0:%x::/80", i)).String()},
				fmt.Sprintf("10.240.%d.%d", (i+4)/256, (i+4)%256), fmt.Sprintf("fd00::%x", i+4))
			_, err := kubetest.CreateNode(context.Background(), c.client, n)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		c.b.Fatal(err)
	}
}

func (c *cluster) deleteNodes(n int) {
	var g errgroup.Group
	g.SetLimit(16)
	for i := range n {
		g.Go(func() error {
			return c.client.CoreV1().Nodes().Delete(context.Background(), c.name(i), metav1.DeleteOptions{})
		})
	}
	if err := g.Wait(); err != nil {
		c.b.Error(err)
	}
}

// hasRoutesOf reports whether the table holds both routes of nodes from..to-1.
func (c *cluster) hasRoutesOf(from, to int) bool {
	tbl, _ := c.srv.RouteTable(sub, group, table)
	have := map[string]bool{}
	for _, r := range tbl.Routes {
		have[r.Name] = true
	}
	for i := from; i < to; i++ {
		v4 := routes.RouteName(c.name(i), netip.MustParsePrefix(fmt.Sprintf("10.244.%d.0/24", i)))
		v6 := routes.RouteName(c.name(i), netip.MustParsePrefix(fmt.Sprintf("fd12:3456:789a:0:%x::/80", i)))
		if !have[v4] || !have[v6] {
			return false
		}
	}
	return true
}

// routedNodes counts the nodes with NetworkUnavailable=False.
func (c *cluster) routedNodes() int {
	list, err := c.client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		c.b.Fatal(err)
	}
	n := 0
	for _, node := range list.Items {
		for _, cond := range node.Status.Conditions {
			if cond.Type == corev1.NodeNetworkUnavailable && cond.Status == corev1.ConditionFalse {
				n++
			}
		}
	}
	return n
}

func (c *cluster) waitFor(timeout time.Duration, what string, cond func() bool) {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			c.b.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond) // poll interval, part of the measured resolution
	}
}

// BenchmarkScaleUp0To200Nodes: from the first node created to all 400 routes in the table.
func BenchmarkScaleUp0To200Nodes(b *testing.B) {
	for run := range b.N {
		b.StopTimer()
		c := start(b, run)
		c.srv.ResetStats()
		b.StartTimer()
		began := time.Now()
		c.addNodes(0, 200)
		c.waitFor(5*time.Minute, "400 routes", func() bool { return c.hasRoutesOf(0, 200) })
		took := time.Since(began)
		b.StopTimer()
		s := c.srv.Stats()
		b.ReportMetric(took.Seconds(), "s-to-400-routes")
		b.ReportMetric(float64(s.Writes), "ARM-writes")
		b.ReportMetric(float64(s.LargestTablePut), "largest-PUT-routes")
		b.Logf("0 -> 200 nodes: 400 routes after %v, %d ARM writes (PUT sizes %v), put latency %v", took.Round(time.Millisecond), s.Writes, s.RoutesPerTablePut, *putLatency)
		c.deleteNodes(200)
		c.stop()
	}
}

// BenchmarkOneNodeJoins200NodeCluster: from the 200th node created to its two routes in the
// table, with 199 nodes routed and settled already.
func BenchmarkOneNodeJoins200NodeCluster(b *testing.B) {
	for run := range b.N {
		b.StopTimer()
		c := start(b, run)
		c.addNodes(0, 199)
		c.waitFor(5*time.Minute, "routes of 199 nodes", func() bool { return c.hasRoutesOf(0, 199) })
		c.waitFor(5*time.Minute, "199 nodes NetworkUnavailable=False", func() bool { return c.routedNodes() == 199 })
		c.srv.ResetStats()
		b.StartTimer()
		began := time.Now()
		c.addNodes(199, 200)
		c.waitFor(time.Minute, "the joining node's routes", func() bool { return c.hasRoutesOf(199, 200) })
		took := time.Since(began)
		b.StopTimer()
		s := c.srv.Stats()
		b.ReportMetric(took.Seconds()*1000, "ms-to-routes")
		b.ReportMetric(float64(s.Writes), "ARM-writes")
		b.Logf("node joining a 199-node cluster (200 nodes after): its routes after %v, %d ARM write(s), put latency %v", took.Round(time.Millisecond), s.Writes, *putLatency)
		c.deleteNodes(200)
		c.stop()
	}
}
