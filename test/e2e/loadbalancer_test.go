//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/lab/loadbalancer"
)

// The lab's load balancer probes every lbProbeInterval (Azure: 5 s) and changes a backend's
// state after lbProbeThreshold probes in a row (Azure's default, kept).
const (
	lbProbeInterval  = time.Second
	lbProbeThreshold = 2
)

var lbFlags = []string{"--lb-probe-interval=" + lbProbeInterval.String()}

// lbWeb is the matrix's backend: agnhost netexec, whose /clientip answers the caller's
// address, behind every LoadBalancer Service of the matrix on port 80.
const lbWeb = `apiVersion: apps/v1
kind: Deployment
metadata: {name: lbweb}
spec:
  replicas: %d
  selector: {matchLabels: {app: lbweb}}
  template:
    metadata: {labels: {app: lbweb}}
    spec:
      containers:
      - {name: netexec, image: "registry.k8s.io/e2e-test-images/agnhost:2.66.1", args: [netexec, --http-port=8080]}
`

// lbService is one Service of the matrix.
type lbService struct {
	name     string
	families string // "IPv4", "IPv6", "IPv4, IPv6"
	policy   string // Local, Cluster
	floating bool
}

func (s lbService) manifest() string {
	policy := "SingleStack"
	if strings.Contains(s.families, ",") {
		policy = "RequireDualStack"
	}
	annotations := "{}"
	if !s.floating {
		annotations = `{service.beta.kubernetes.io/azure-disable-load-balancer-floating-ip: "true"}`
	}
	return fmt.Sprintf(`---
apiVersion: v1
kind: Service
metadata: {name: %s, annotations: %s}
spec:
  type: LoadBalancer
  externalTrafficPolicy: %s
  ipFamilyPolicy: %s
  ipFamilies: [%s]
  selector: {app: lbweb}
  ports: [{port: 80, targetPort: 8080}]
`, s.name, annotations, s.policy, policy, s.families)
}

// lbMatrix is {IPv4, IPv6, dual-stack} x {Local, Cluster} x {floating IP, not}.
func lbMatrix() []lbService {
	var out []lbService
	for _, f := range []struct{ name, families string }{{"ipv4", "IPv4"}, {"ipv6", "IPv6"}, {"dual", "IPv4, IPv6"}} {
		for _, policy := range []string{"Local", "Cluster"} {
			for _, floating := range []bool{true, false} {
				name := fmt.Sprintf("lb-%s-%s-fip", f.name, strings.ToLower(policy))
				if !floating {
					name = fmt.Sprintf("lb-%s-%s-nofip", f.name, strings.ToLower(policy))
				}
				out = append(out, lbService{name, f.families, policy, floating})
			}
		}
	}
	return out
}

// apply writes objects to a file and applies them.
func (l *testLab) apply(name, objects string) {
	path := filepath.Join(l.t.TempDir(), name+".yaml")
	if err := os.WriteFile(path, []byte(objects), 0o600); err != nil {
		l.t.Fatal(err)
	}
	l.kubectl("apply", "-f", path)
}

// ingress is the Service's status.loadBalancer.ingress, once it has want addresses.
func (l *testLab) ingress(svc string, want int) []netip.Addr {
	var ips []netip.Addr
	eventually(l.t, 30*time.Second, fmt.Sprintf("%s has %d frontends", svc, want), func() error {
		out := strings.Fields(l.kubectl("get", "service", svc, "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"))
		ips = nil
		for _, f := range out {
			ip, err := netip.ParseAddr(f)
			if err != nil {
				return err
			}
			ips = append(ips, ip)
		}
		if len(ips) != want {
			return fmt.Errorf("ingress %v", out)
		}
		return nil
	})
	return ips
}

// lbReport is what the lab's load balancer last wrote: frontends, rules, probe states.
func (l *testLab) lbReport() loadbalancer.Report {
	r, err := loadbalancer.ReadReport(filepath.Join(l.stateRoot, l.name, "loadbalancer.json"))
	if err != nil {
		l.t.Fatal(err)
	}
	return r
}

// backends are the backends of the frontend's rule on port 80, by node, as the load balancer
// reports them.
func (l *testLab) backends(fe netip.Addr) (map[string]loadbalancer.BackendReport, error) {
	for _, f := range l.lbReport().Frontends {
		if f.IP != fe.String() {
			continue
		}
		for _, r := range f.Rules {
			if r.Port == 80 {
				out := map[string]loadbalancer.BackendReport{}
				for _, b := range r.Backends {
					out[b.Node] = b
				}
				return out, nil
			}
		}
	}
	return nil, fmt.Errorf("the load balancer reports no rule for %s port 80", fe)
}

// healthyExactly waits until the frontend's healthy backends are the nodes wanted.
func (l *testLab) healthyExactly(fe netip.Addr, want []string, within time.Duration) {
	slices.Sort(want)
	eventually(l.t, within, fmt.Sprintf("healthy backends of %s: %v", fe, want), func() error {
		bs, err := l.backends(fe)
		if err != nil {
			return err
		}
		var healthy []string
		for node, b := range bs {
			if b.Healthy {
				healthy = append(healthy, node)
			}
		}
		slices.Sort(healthy)
		if !slices.Equal(healthy, want) {
			return fmt.Errorf("healthy %v of %v", healthy, bs)
		}
		return nil
	})
}

// clientIPs asks the frontend's /clientip n times from the internet, in one curl, each on a
// new connection: for each, the address the server saw, and the client's own address and
// port (curl's). Each connection has a source port no other in this lab had: a port the
// kernel picked could repeat one used towards another frontend with the same backend pod,
// and the node's conntrack then rewrites it (the reply tuples would clash). That is correct
// of the kernel, but would look like NAT to the Local check. One --next section per request,
// because a --local-port range would let curl take the same port again once the server
// closed the connection.
func (l *testLab) clientIPs(fe netip.Addr, n int) (seen, own []netip.AddrPort, err error) {
	args := []string{"curl"}
	for i := range n {
		if i > 0 {
			args = append(args, "--next")
		}
		port := firstClientPort + l.clientPorts
		l.clientPorts++
		args = append(args, "-sS", "-m", "3", "-H", "Connection: close", "-w", ` %{local_ip} %{local_port}\n`,
			"--local-port", strconv.Itoa(port), "http://"+hostPort(fe, 80)+"/clientip")
	}
	out, err := l.exec("internet", args...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || len(lines) != n {
		return nil, nil, fmt.Errorf("curl %s/clientip x%d from the internet: %v: %s", fe, n, err, out)
	}
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, nil, fmt.Errorf("curl %s/clientip from the internet: %q", fe, line)
		}
		s, err1 := netip.ParseAddrPort(f[0])
		addr, err2 := netip.ParseAddr(f[1])
		port, err3 := strconv.ParseUint(f[2], 10, 16)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, nil, fmt.Errorf("curl %s/clientip from the internet: %q: %w", fe, line, err)
		}
		seen = append(seen, netip.AddrPortFrom(s.Addr().Unmap(), s.Port()))
		own = append(own, netip.AddrPortFrom(addr, uint16(port)))
	}
	return seen, own, nil
}

// firstClientPort is below the kernel's ephemeral range (32768-60999), so no port it picks
// for other traffic from the internet meets one clientIPs chose.
const firstClientPort = 20000

// answers sends n requests to the frontend from the internet (each a new flow); all must be
// answered, and with Local the server must see the client's own address and port.
func (l *testLab) answers(svc lbService, fe netip.Addr, n int) error {
	seen, own, err := l.clientIPs(fe, n)
	if err != nil {
		return err
	}
	for i := range seen {
		if svc.policy == "Local" && seen[i] != own[i] {
			return fmt.Errorf("request %d: the server saw %s, want the internet client's %s", i+1, seen[i], own[i])
		}
	}
	return nil
}

// podNodes are the nodes with a Ready lbweb pod.
func (l *testLab) podNodes(want int) []string {
	var nodes []string
	eventually(l.t, time.Minute, fmt.Sprintf("%d lbweb pods Ready", want), func() error {
		nodes = nil
		for _, p := range strings.Split(strings.TrimSpace(l.kubectl("get", "pods", "-l", "app=lbweb", "-o",
			`jsonpath={range .items[*]}{.spec.nodeName} {.metadata.deletionTimestamp} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}`)), "\n") {
			if f := strings.Fields(p); len(f) == 2 && f[1] == "True" {
				nodes = append(nodes, f[0])
			} else if p != "" {
				return fmt.Errorf("a pod not Ready or terminating (node, deletion, Ready): %q", p)
			}
		}
		if len(nodes) != want {
			return fmt.Errorf("%d Ready: %v", len(nodes), nodes)
		}
		return nil
	})
	slices.Sort(nodes)
	return slices.Compact(nodes)
}

// TestLoadBalancerAsAzureStandardLoadBalancer: the article's two Services answer on their
// frontends from the internet; every Service of the matrix {IPv4, IPv6, dual-stack} x {Local,
// Cluster} x {floating IP, not} gets a frontend per family and answers on each (IPv6 Cluster
// too: the agents' probe rewrite is on); with Local the server sees the internet client's own
// address and only nodes with a local endpoint are healthy, with Cluster every node is.
// Scaled to one replica, Local leaves only that pod's node healthy within the probe threshold
// and no request fails afterwards, Cluster keeps answering. `lab status` shows it all. A
// node deleted from the cluster leaves every backend pool.
func TestLoadBalancerAsAzureStandardLoadBalancer(t *testing.T) {
	l := startLab(t, routeMode, lbFlags...)
	start := time.Now()
	nodes := strings.Fields(l.kubectl("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"))

	l.kubectl("create", "deployment", "nginx", "--image=nginx:latest", "--replicas=3")
	l.kubectl("wait", "--for=condition=Available", "deployment/nginx", "--timeout=60s")
	l.checkLoadBalancerServices()
	t.Logf("MEASURED: the article's two Services answered %.1fs after lab up", time.Since(start).Seconds())

	matrix := lbMatrix()
	objects := fmt.Sprintf(lbWeb, 2)
	for _, s := range matrix {
		objects += s.manifest()
	}
	step := time.Now()
	l.apply("lb-matrix", objects)
	withPods := l.podNodes(2)
	frontends := map[string][]netip.Addr{}
	for _, s := range matrix {
		frontends[s.name] = l.ingress(s.name, strings.Count(s.families, ",")+1)
		for i, fe := range frontends[s.name] {
			if want := strings.Split(s.families, ", ")[i]; fe.Is4() != (want == "IPv4") {
				t.Errorf("%s: frontend %d is %s, want %s (spec.ipFamilies order)", s.name, i, fe, want)
			}
		}
	}
	// Every frontend has exactly the healthy backends wanted (all nodes for Cluster, those
	// with a pod for Local) and answers every request.
	checkMatrix := func(when string, all, withPods []string, requests int) {
		for _, s := range matrix {
			healthy := all
			if s.policy == "Local" {
				healthy = withPods
			}
			for _, fe := range frontends[s.name] {
				l.healthyExactly(fe, healthy, 20*time.Second)
				if err := l.answers(s, fe, requests); err != nil {
					t.Errorf("%s: %s on %s: %v", when, s.name, fe, err)
				}
			}
		}
	}
	checkMatrix("2 replicas", nodes, withPods, 3)
	t.Logf("MEASURED: %d matrix Services (%d frontends) healthy and answering %.1fs after kubectl apply (lbweb on %v)",
		len(matrix), countFrontends(frontends), time.Since(step).Seconds(), withPods)

	status, err := l.dualnet(t.Context(), l.labArgs("status")...)
	if err != nil {
		t.Fatalf("dualnet lab status: %v\n%s", err, status)
	}
	hcnp := strings.TrimSpace(l.kubectl("get", "service", "lb-ipv6-local-fip", "-o", "jsonpath={.spec.healthCheckNodePort}"))
	nodePort := strings.TrimSpace(l.kubectl("get", "service", "lb-ipv4-cluster-nofip", "-o", "jsonpath={.spec.ports[0].nodePort}"))
	for _, want := range []string{
		frontends["lb-ipv6-local-fip"][0].String() + " default/lb-ipv6-local-fip",
		"TCP 80 -> backend port 80 (floating IP), probe HTTP :" + hcnp + "/healthz",
		"TCP 80 -> backend port " + nodePort + " (floating IP disabled: DNAT to NodeIP), probe TCP :" + nodePort,
		"unhealthy", "HTTP 503",
	} {
		if !strings.Contains(status, want) {
			t.Errorf("dualnet lab status lacks %q", want)
		}
	}
	t.Logf("dualnet lab status (load balancer part):\n%s", status[strings.Index(status, "load balancer:"):])

	// Scale to one replica: Local keeps only the remaining pod's node, within the threshold.
	step = time.Now()
	l.kubectl("scale", "deployment", "lbweb", "--replicas=1")
	left := l.podNodes(1)
	gone := time.Since(step)
	for _, s := range matrix {
		if s.policy == "Local" {
			for _, fe := range frontends[s.name] {
				l.healthyExactly(fe, left, time.Duration(lbProbeThreshold+1)*lbProbeInterval+5*time.Second)
			}
		}
	}
	t.Logf("MEASURED: scaled to 1 replica: pods gone after %.1fs, only %v healthy for every Local frontend after %.1fs (probes every %s, %d in a row)",
		gone.Seconds(), left, time.Since(step).Seconds(), lbProbeInterval, lbProbeThreshold)
	checkMatrix("1 replica", nodes, left, 2)

	// A node deleted from the cluster leaves the backend pools; nothing else changes.
	var deleted string
	for _, n := range nodes {
		if !slices.Contains(left, n) {
			deleted = n
		}
	}
	step = time.Now()
	l.kubectl("delete", "node", deleted)
	eventually(t, 20*time.Second, deleted+" out of every backend pool", func() error {
		for _, fe := range l.lbReport().Frontends {
			for _, r := range fe.Rules {
				for _, b := range r.Backends {
					if b.Node == deleted {
						return fmt.Errorf("%s %s still has %s", fe.Service, fe.IP, deleted)
					}
				}
			}
		}
		return nil
	})
	t.Logf("MEASURED: node %s out of every backend pool %.1fs after kubectl delete node", deleted, time.Since(step).Seconds())
	remaining := slices.DeleteFunc(slices.Clone(nodes), func(n string) bool { return n == deleted })
	checkMatrix("node "+deleted+" deleted", remaining, left, 2)
	t.Logf("MEASURED: load balancer test %.1fs after lab up", time.Since(start).Seconds())
}

func countFrontends(m map[string][]netip.Addr) int {
	n := 0
	for _, ips := range m {
		n += len(ips)
	}
	return n
}

// TestLoadBalancerIPv6ClusterLimitationWithoutTheAgentsProbeFix reproduces the article's
// limitation: with the agents' --fix-azure-lb-ipv6-probe=false, the IPv6 probe of an
// externalTrafficPolicy: Cluster Service fails whenever kube-proxy sends it to a pod on the
// probed node (the node will not forward its link-local source to another link: "no route to
// host"). With the Service's only pod on one node, that node is unhealthy; the other node,
// which sends the probe on to the pod by the link it came in on (and masquerades it), is
// healthy; left with the pod's node alone in the pool, the Service has no healthy backend and
// the internet gets no answer. The IPv4 probe's source is global: every node is healthy. A
// dual-stack Service gets its first family's frontend only (--lb-first-family-only).
func TestLoadBalancerIPv6ClusterLimitationWithoutTheAgentsProbeFix(t *testing.T) {
	// Probes every 2 s, not 1 s: the prober's connect learns of the node's ICMPv6 error after
	// about a second (the SYN's retransmission; lbprobe's test measures it), and a probe
	// times out after its interval, as Azure's do.
	l := startLab(t, routeMode, "--lb-probe-interval=2s", "--nodes=2", "--fix-azure-lb-ipv6-probe=false", "--lb-first-family-only")
	start := time.Now()
	v6 := lbService{"v6-cluster", "IPv6", "Cluster", true}
	v4 := lbService{"v4-cluster", "IPv4", "Cluster", true}
	dual := lbService{"dual-cluster", "IPv4, IPv6", "Cluster", true}
	l.apply("limitation", fmt.Sprintf(lbWeb, 1)+v6.manifest()+v4.manifest()+dual.manifest())
	podNode := l.podNodes(1)[0]
	nodes := strings.Fields(l.kubectl("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"))
	other := nodes[0]
	if other == podNode {
		other = nodes[1]
	}
	if ips := l.ingress(dual.name, 1); !ips[0].Is4() {
		t.Errorf("%s: frontend %s with --lb-first-family-only, want its first family's (IPv4) only", dual.name, ips[0])
	}
	v6fe, v4fe := l.ingress(v6.name, 1)[0], l.ingress(v4.name, 1)[0]

	l.healthyExactly(v4fe, nodes, 20*time.Second)
	l.healthyExactly(v6fe, []string{other}, 20*time.Second)
	bs, err := l.backends(v6fe)
	if err != nil {
		t.Fatal(err)
	}
	if b := bs[podNode]; !strings.Contains(b.Last, "no route to host") {
		t.Errorf("%s: the probe of %s (the pod's node) failed with %q, want the node's ICMPv6 answer (no route to host)", v6.name, podNode, b.Last)
	}
	t.Logf("without the fix: %s on %s (the pod's node): %+v; on %s: %+v", v6fe, podNode, bs[podNode], other, bs[other])
	if err := l.answers(v6, v6fe, 2); err != nil {
		t.Errorf("%s through %s alone: %v", v6.name, other, err)
	}

	l.kubectl("label", "node", other, "node.kubernetes.io/exclude-from-external-load-balancers=")
	eventually(t, 20*time.Second, v6.name+" has only "+podNode+" in its pool, unhealthy", func() error {
		bs, err := l.backends(v6fe)
		if len(bs) != 1 || bs[podNode].Healthy || err != nil {
			return fmt.Errorf("backends %+v: %v", bs, err)
		}
		return nil
	})
	if seen, _, err := l.clientIPs(v6fe, 1); err == nil {
		t.Errorf("%s with no healthy backend answered (the server saw %s); want no answer", v6fe, seen)
	}
	l.healthyExactly(v4fe, []string{podNode}, 10*time.Second)
	if err := l.answers(v4, v4fe, 2); err != nil {
		t.Errorf("%s: %v", v4.name, err)
	}
	t.Logf("MEASURED: limitation shown %.1fs after lab up", time.Since(start).Seconds())
}
