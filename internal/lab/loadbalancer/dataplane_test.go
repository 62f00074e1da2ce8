package loadbalancer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/dataplane/nodens"
	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// lbLab is the smallest network the load balancer works in: the vnet router's namespace with
// the nodes' bridge, two nodes, and a client on a link of its own (the internet). Each node
// serves, on every address it accepts, "<node> <client address> <address it was reached at>";
// it accepts the frontends themselves (on lo), as kube-proxy's rules for
// status.loadBalancer.ingress would take them.
type lbLab struct {
	vnet    *dptest.VNet
	client  nodens.Namespace
	nodes   []dptest.Host
	servers map[string]map[int]*http.Server // node, port
}

var (
	clientIPs = []netip.Addr{netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("2001:db8:ffff::2")}
	webIPs    = []netip.Addr{netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("2001:db8:203::1")}
)

func newLBLab(t *testing.T) *lbLab {
	l := &lbLab{vnet: dptest.NewVNet(t), servers: map[string]map[int]*http.Server{}}
	vnet := l.vnet.NS
	dptest.Run(t, "ip", "-n", vnet, "addr", "add", "10.240.0.1/24", "dev", "vnet0")
	dptest.Run(t, "ip", "-n", vnet, "addr", "add", "2001:db8:5678:9abc::1/64", "dev", "vnet0", "nodad")
	for _, key := range []string{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"} {
		dptest.InNS(t, vnet, "sysctl", "-qw", key+"=1")
	}
	clientName, client := dptest.NewNamespace(t, "inet")
	l.client = client
	dptest.Run(t, "ip", "-n", vnet, "link", "add", "internet", "type", "veth", "peer", "name", "eth0", "netns", clientName)
	dptest.Run(t, "ip", "-n", vnet, "addr", "add", "198.51.100.1/24", "dev", "internet")
	dptest.Run(t, "ip", "-n", vnet, "addr", "add", "2001:db8:ffff::1/64", "dev", "internet", "nodad")
	dptest.Run(t, "ip", "-n", vnet, "link", "set", "internet", "up")
	dptest.Run(t, "ip", "-n", clientName, "addr", "add", clientIPs[0].String()+"/24", "dev", "eth0")
	dptest.Run(t, "ip", "-n", clientName, "addr", "add", clientIPs[1].String()+"/64", "dev", "eth0", "nodad")
	dptest.Run(t, "ip", "-n", clientName, "link", "set", "eth0", "up")
	dptest.Run(t, "ip", "-n", clientName, "route", "add", "default", "via", "198.51.100.1")
	dptest.Run(t, "ip", "-n", clientName, "route", "add", "default", "via", "2001:db8:ffff::1")
	for i := range 2 {
		node := l.vnet.AddHost(t, fmt.Sprintf("n%d", i), netip.MustParseAddr(fmt.Sprintf("10.240.0.%d", 4+i)),
			netip.MustParseAddr(fmt.Sprintf("2001:db8:5678:9abc::%d", 4+i)))
		dptest.Run(t, "ip", "-n", node.Name, "route", "add", "default", "via", "10.240.0.1")
		dptest.Run(t, "ip", "-n", node.Name, "route", "add", "default", "via", "2001:db8:5678:9abc::1")
		for _, fe := range webIPs {
			dptest.Run(t, "ip", "-n", node.Name, "addr", "add", netip.PrefixFrom(fe, fe.BitLen()).String(), "dev", "lo")
		}
		l.nodes = append(l.nodes, node)
		l.servers[node.Name] = map[int]*http.Server{}
		for _, port := range []int{80, 30080, 30081} {
			l.serve(t, node, port)
		}
	}
	return l
}

func (l *lbLab) serve(t *testing.T, node dptest.Host, port int) {
	var ln net.Listener
	err := node.NS.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", ":"+strconv.Itoa(port))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		local := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		fmt.Fprintf(w, "%s %s %s", node.Name, r.RemoteAddr, local)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	l.servers[node.Name][port] = srv
}

// answer is what a node said to a request: its name, the client's address and the address
// the request reached.
type answer struct {
	node          string
	client, local netip.AddrPort
}

func (l *lbLab) get(ctx context.Context, to netip.AddrPort) (answer, error) {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true, DialContext: l.client.DialContext}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+to.String()+"/", nil)
	if err != nil {
		return answer{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	f := strings.Fields(string(body))
	if err != nil || len(f) != 3 {
		return answer{}, fmt.Errorf("answer %q: %v", body, err)
	}
	a := answer{node: f[0]}
	if a.client, err = netip.ParseAddrPort(f[1]); err != nil {
		return a, err
	}
	a.local, err = netip.ParseAddrPort(f[2])
	return a, err
}

// spread sends n requests (each from a new source port) and counts the nodes that answered;
// every answer must show the client's own address and the address wanted.
func (l *lbLab) spread(ctx context.Context, to, wantLocal netip.AddrPort, n int) (map[string]int, error) {
	nodes := map[string]int{}
	for range n {
		a, err := l.get(ctx, to)
		if err != nil {
			return nodes, err
		}
		if a.client.Addr().Unmap() != clientIPs[0] && a.client.Addr() != clientIPs[1] {
			return nodes, fmt.Errorf("%s saw client %s, want the client's own address", a.node, a.client)
		}
		if wantLocal.IsValid() && a.local != wantLocal || !wantLocal.IsValid() && a.local.Addr().Unmap() != to.Addr() {
			return nodes, fmt.Errorf("%s was reached at %s, want %v (to %s)", a.node, a.local, wantLocal, to)
		}
		nodes[a.node]++
	}
	return nodes, nil
}

func (l *lbLab) node(name string, family corev1.IPFamily) *corev1.Node {
	for _, h := range l.nodes {
		if h.Name == name {
			return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: h.IPv4.String()}, {Type: corev1.NodeInternalIP, Address: h.IPv6.String()}}}}
		}
	}
	return nil
}

// TestLoadBalancerSendsFlowsToHealthyNodesKeepingTheClientAddress runs the load balancer
// against a fake API server and real namespaces: a dual-stack Service gets a frontend of each
// family, flows spread over both nodes by their 5-tuple and reach them addressed to the
// frontend (floating IP) with the client's address; without floating IP they reach
// NodeIP:NodePort. A node whose probe fails takes no new flows within the threshold; with no
// healthy node a new flow is dropped; a deleted node leaves the pool and its routes go.
func TestLoadBalancerSendsFlowsToHealthyNodesKeepingTheClientAddress(t *testing.T) {
	l := newLBLab(t)
	web := lbService("web", []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}, time.Now())
	noFloating := lbService("no-floating", ipv4, time.Now().Add(time.Second))
	noFloating.Annotations = map[string]string{AnnotationDisableFloatingIP: "true"}
	noFloating.Spec.Ports = []corev1.ServicePort{{Port: 8080, Protocol: corev1.ProtocolTCP, NodePort: 30081}}
	client := fake.NewClientset(web, noFloating, l.node(l.nodes[0].Name, ""), l.node(l.nodes[1].Name, ""))

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	reportFile := filepath.Join(t.TempDir(), "lb.json")
	cfg := Config{Netns: netns.Path(l.vnet.NS), Bridge: "vnet0", Pools: pools,
		ProbeInterval: 200 * time.Millisecond, ProbeThreshold: 2, ReportFile: reportFile}
	go func() { done <- Run(ctx, client, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	var ingress []string
	poll.Eventually(t, 10*time.Second, "web's frontends in status.loadBalancer.ingress", func() error {
		svc, err := client.CoreV1().Services("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		ingress = nil
		for _, in := range svc.Status.LoadBalancer.Ingress {
			ingress = append(ingress, in.IP)
		}
		if strings.Join(ingress, ",") != webIPs[0].String()+","+webIPs[1].String() {
			return fmt.Errorf("ingress %v", ingress)
		}
		return nil
	})
	nodeNames := []string{l.nodes[0].Name, l.nodes[1].Name}
	for _, fe := range webIPs {
		to := netip.AddrPortFrom(fe, 80)
		poll.Eventually(t, 10*time.Second, "flows to "+to.String()+" on both nodes", func() error {
			seen, err := l.spread(ctx, to, netip.AddrPort{}, 16)
			if err != nil || len(seen) != 2 {
				return fmt.Errorf("answered by %v: %v", seen, err)
			}
			return nil
		})
	}
	nf := netip.AddrPortFrom(netip.MustParseAddr("203.0.113.2"), 8080)
	poll.Eventually(t, 10*time.Second, "flows to "+nf.String()+" DNATed to NodeIP:NodePort", func() error {
		for _, n := range l.nodes {
			if _, err := l.spread(ctx, nf, netip.AddrPortFrom(n.IPv4, 30081), 1); err == nil {
				return nil
			}
		}
		return errors.New("no answer from a node at its NodeIP:30081")
	})

	// The probe of web's rules is TCP on its NodePort: closing it on node 1 takes node 1 out.
	l.servers[nodeNames[1]][30080].Close()
	start := time.Now()
	poll.Eventually(t, 5*time.Second, "every new flow to web on node 0", func() error {
		for _, fe := range webIPs {
			seen, err := l.spread(ctx, netip.AddrPortFrom(fe, 80), netip.AddrPort{}, 8)
			if err != nil || len(seen) != 1 || seen[nodeNames[0]] != 8 {
				return fmt.Errorf("to %s: answered by %v: %v", fe, seen, err)
			}
		}
		return nil
	})
	t.Logf("MEASURED: node 1 out of web's rules %.1fs after its probe port closed (interval %s, threshold %d)",
		time.Since(start).Seconds(), cfg.ProbeInterval, cfg.ProbeThreshold)
	// The report file is written after the rules change, so it may trail them briefly.
	var out strings.Builder
	poll.Eventually(t, 5*time.Second, "the report shows "+nodeNames[1]+" unhealthy", func() error {
		report, err := ReadReport(reportFile)
		if err != nil {
			return err
		}
		out.Reset()
		report.Print(&out)
		if !strings.Contains(out.String(), nodeNames[1]) || !strings.Contains(out.String(), "unhealthy") {
			return fmt.Errorf("report:\n%s", out.String())
		}
		return nil
	})
	t.Logf("report:\n%s", out.String())

	l.servers[nodeNames[0]][30080].Close()
	poll.Eventually(t, 5*time.Second, "new flows to web dropped with no healthy backend", func() error {
		if a, err := l.get(ctx, netip.AddrPortFrom(webIPs[0], 80)); err == nil {
			return fmt.Errorf("answered by %s", a.node)
		}
		return nil
	})

	// A node deleted from the cluster leaves the pool: its rules and table go.
	if err := client.CoreV1().Nodes().Delete(ctx, nodeNames[1], metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	poll.Eventually(t, 5*time.Second, nodeNames[1]+" out of the report and the policy rules", func() error {
		r, err := ReadReport(reportFile)
		if err != nil {
			return err
		}
		for _, fe := range r.Frontends {
			for _, rule := range fe.Rules {
				if len(rule.Backends) != 1 || rule.Backends[0].Node != nodeNames[0] {
					return fmt.Errorf("%s %s: backends %v", fe.Service, fe.IP, rule.Backends)
				}
			}
		}
		for _, family := range []string{"-4", "-6"} {
			if rules := dptest.Run(t, "ip", "-n", l.vnet.NS, family, "rule", "show", "pref", "1000"); strings.Count(rules, "lookup") != 1 {
				return fmt.Errorf("ip %s rule: %s", family, rules)
			}
		}
		return nil
	})
}
