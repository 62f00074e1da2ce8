//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
	"github.com/dualnet/dualnet/internal/lab"
	"github.com/dualnet/dualnet/internal/lab/images"
	"github.com/dualnet/dualnet/internal/lab/registry"
	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// dualnet runs in the lab as users install it (deploy/ through the lab's overlay, kubectl
// apply -k): after lab up, kube-system shows the agent and kube-proxy DaemonSets on every
// node, the controller Deployment 2/2 with one leader, and CoreDNS ready. Then, on that one
// lab: the agent's container killed on a node leaves that node's pods serving and its
// ruleset and routes as they were; deleting the leading controller pod hands the lead to
// another replica within 20 s, and a Node registered after that gets a pod CIDR of each
// family from the new leader and its routes in the route table, which go with the Node; a
// second image tag rolled out to both workloads with kubectl set image loses no request of a
// client polling a pod on another node, nor of the internet polling a LoadBalancer Service,
// every 50 ms in both families, pods created during the rollout get both families, and the
// nodes' rules and routes stay as they were. Last, kubectl delete -k of what the lab applied
// and deploy/README's cleanup leave nothing of dualnet on the nodes.
func TestDualnetRunsAsPodsInstalledWithKubectl(t *testing.T) {
	hostConntrack := conntrackTimeouts(t, nil)
	l := startLab(t, routeMode)
	t.Logf("MEASURED: lab up with dualnet and kube-proxy as pods %.1fs", l.upTime.Seconds())
	l.checkNetworkPodsReady()
	l.checkKubeProxyConntrackTimeouts(hostConntrack)

	node0, node1 := l.name+"-node-0", l.name+"-node-1"
	server := l.agnhostPod("e2e-server", node1, "netexec", "--http-port=8080")
	client := l.agnhostPod("e2e-client", node0, "pause")
	targets := l.podURLs(server, 8080, "/hostname")
	l.waitServing(client, targets)

	l.checkAgentCrashChangesNothing(node1, client, targets)
	l.checkControllerFailover()
	l.checkLateNodeGetsCIDRsAndRoutes()
	l.checkUpgradeLosesNothing(client, server, targets)
	l.checkRemoveLeavesNothing()
}

// waitServing waits until every target has answered the client pod once. The server has no
// readiness probe, so it is Ready once its container started, which on a loaded machine comes
// well before agnhost listens; a request refused then is the server starting, not a loss.
func (l *testLab) waitServing(client string, targets []string) {
	p := l.startProber(client, targets)
	eventually(l.t, 2*time.Minute, "every target answering "+client, func() error {
		ok, _ := p.counts()
		for _, u := range targets {
			if ok[u] == 0 {
				return fmt.Errorf("%s has not answered yet", u)
			}
		}
		return nil
	})
	p.stop("the wait for the server to listen")
}

// kubectlInto runs kubectl with -o json and decodes what it prints into v.
func (l *testLab) kubectlInto(v any, args ...string) {
	l.t.Helper()
	out := l.kubectl(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		l.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// workloads is what `kubectl -n kube-system get ds,deploy` says of each, by kind/name.
type workload struct {
	desired, ready, updated int
	image                   string
}

func (l *testLab) workloads() map[string]workload {
	var list struct {
		Items []struct {
			Kind     string
			Metadata struct{ Name string }
			Spec     struct {
				Replicas *int
				Template struct {
					Spec struct{ Containers []struct{ Image string } }
				}
			}
			Status struct {
				DesiredNumberScheduled, NumberReady, UpdatedNumberScheduled int
				ReadyReplicas, UpdatedReplicas                              int
			}
		}
	}
	l.kubectlInto(&list, "-n", "kube-system", "get", "ds,deploy")
	out := map[string]workload{}
	for _, it := range list.Items {
		w := workload{image: it.Spec.Template.Spec.Containers[0].Image}
		switch it.Kind {
		case "DaemonSet":
			w.desired, w.ready, w.updated = it.Status.DesiredNumberScheduled, it.Status.NumberReady, it.Status.UpdatedNumberScheduled
		case "Deployment":
			w.desired, w.ready, w.updated = *it.Spec.Replicas, it.Status.ReadyReplicas, it.Status.UpdatedReplicas
		}
		out[it.Kind+"/"+it.Metadata.Name] = w
	}
	return out
}

// checkNetworkPodsReady: right after lab up, without waiting.
func (l *testLab) checkNetworkPodsReady() {
	t := l.t
	t.Logf("kubectl -n kube-system get ds,deploy,pods\n%s", l.kubectl("-n", "kube-system", "get", "ds,deploy,pods", "-o", "wide"))
	w := l.workloads()
	for _, c := range []struct {
		name  string
		ready int
	}{
		{"DaemonSet/dualnet-agent", 3},
		{"DaemonSet/kube-proxy", 3},
		{"Deployment/dualnet-controller", 2},
		{"Deployment/coredns", 2},
	} {
		if got := w[c.name]; got.desired != c.ready || got.ready != c.ready {
			t.Errorf("%s: %d/%d ready, want %d/%d", c.name, got.ready, got.desired, c.ready, c.ready)
		}
	}
	// The image make image built, from the lab's registry, as deploy/dualnet.yaml names it.
	for _, name := range []string{"DaemonSet/dualnet-agent", "Deployment/dualnet-controller"} {
		if got := w[name].image; got != manifestImage() {
			t.Errorf("%s runs %s, want deploy/dualnet.yaml's %s", name, got, manifestImage())
		}
	}
	leader := l.leaderPod()
	t.Logf("the Lease kube-system/dualnet-controller is held by pod %s", leader)
}

// kubeProxyConntrack are the conntrack timeouts kube-proxy sets by default (seconds), which
// the suite's CLOSE_WAIT spec checks on a node.
var kubeProxyConntrack = map[string]string{
	"nf_conntrack_tcp_timeout_close_wait":  "3600",
	"nf_conntrack_tcp_timeout_established": "86400",
}

// conntrackTimeouts reads kubeProxyConntrack's sysctls, in the host's namespace when onNode
// is nil.
func conntrackTimeouts(t *testing.T, onNode func(args ...string) (string, error)) map[string]string {
	t.Helper()
	got := map[string]string{}
	for name := range kubeProxyConntrack {
		var out []byte
		var err error
		if onNode == nil {
			out, err = os.ReadFile("/proc/sys/net/netfilter/" + name)
		} else {
			var s string
			s, err = onNode("cat", "/proc/sys/net/netfilter/"+name)
			out = []byte(s)
		}
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		got[name] = strings.TrimSpace(string(out))
	}
	return got
}

// checkKubeProxyConntrackTimeouts: kube-proxy sets its conntrack timeouts in each node's
// namespace, as on a real node, and the host's stay as they were before lab up.
func (l *testLab) checkKubeProxyConntrackTimeouts(host map[string]string) {
	t := l.t
	for i := range 3 {
		node := fmt.Sprintf("%s-node-%d", l.name, i)
		eventually(t, time.Minute, node+"'s conntrack timeouts set by kube-proxy", func() error {
			got := conntrackTimeouts(t, func(args ...string) (string, error) { return l.onNode(node, args...) })
			if !maps.Equal(got, kubeProxyConntrack) {
				return fmt.Errorf("%v, want %v", got, kubeProxyConntrack)
			}
			return nil
		})
	}
	if got := conntrackTimeouts(t, nil); !maps.Equal(got, host) {
		t.Errorf("the host's conntrack timeouts are %v after lab up, were %v", got, host)
	}
}

// controllerPods are the dualnet-controller pods by node, with whether each is Ready.
func (l *testLab) controllerPods() map[string]podState {
	var list podList
	l.kubectlInto(&list, "-n", "kube-system", "get", "pods", "-l", "app.kubernetes.io/name=dualnet-controller")
	out := map[string]podState{}
	for _, p := range list.Items {
		if p.Metadata.DeletionTimestamp != "" {
			continue
		}
		out[p.Spec.NodeName] = p.state()
	}
	return out
}

type podList struct{ Items []podListItem }

// podListItem is what the tests read of a pod.
type podListItem struct {
	Metadata struct {
		Name, DeletionTimestamp string
	}
	Spec   struct{ NodeName string }
	Status struct {
		PodIPs            []struct{ IP string }
		Conditions        []struct{ Type, Status string }
		ContainerStatuses []struct{ RestartCount int }
	}
}

type podState struct {
	name     string
	ready    bool
	restarts int
}

func (p podListItem) state() podState {
	s := podState{name: p.Metadata.Name}
	for _, c := range p.Status.Conditions {
		if c.Type == "Ready" {
			s.ready = c.Status == "True"
		}
	}
	if len(p.Status.ContainerStatuses) > 0 {
		s.restarts = p.Status.ContainerStatuses[0].RestartCount
	}
	return s
}

// leaseHolder is the identity holding kube-system/dualnet-controller: <node>_<uuid>, the node
// being the replica's hostname (hostNetwork).
func (l *testLab) leaseHolder() string {
	out, err := l.kubectlErr("-n", "kube-system", "get", "lease", "dualnet-controller", "-o", "jsonpath={.spec.holderIdentity}")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// leaderPod is the controller pod holding the Lease: exactly one replica leads.
func (l *testLab) leaderPod() string {
	t := l.t
	holder := l.leaseHolder()
	node, _, ok := strings.Cut(holder, "_")
	if !ok {
		t.Fatalf("the Lease kube-system/dualnet-controller is held by %q, want <node>_<id>", holder)
	}
	pods := l.controllerPods()
	p, ok := pods[node]
	if !ok || !p.ready {
		t.Fatalf("the Lease holder %s has no Ready dualnet-controller pod on its node (pods: %v)", holder, pods)
	}
	return p.name
}

// agnhostPod runs agnhost with args on node and waits until it is Ready with both families.
func (l *testLab) agnhostPod(name, node string, args ...string) string {
	t := l.t
	overrides := fmt.Sprintf(`{"spec":{"nodeName":%q}}`, node)
	l.kubectl(append([]string{"run", name, "--image=" + images.Agnhost, "--restart=Never", "--overrides=" + overrides, "--"}, args...)...)
	eventually(t, 90*time.Second, "pod "+name+" Ready on "+node+" with both families", func() error {
		var p podListItem
		l.kubectlInto(&p, "get", "pod", name)
		if !p.state().ready || len(p.Status.PodIPs) != 2 {
			return fmt.Errorf("ready %v, IPs %v", p.state().ready, p.Status.PodIPs)
		}
		return nil
	})
	return name
}

// podURLs are http://<ip>:port/path for each of the pod's addresses, IPv4 first.
func (l *testLab) podURLs(pod string, port int, path string) []string {
	var p podListItem
	l.kubectlInto(&p, "get", "pod", pod)
	var urls []string
	for _, ip := range p.Status.PodIPs {
		host := ip.IP
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		urls = append(urls, fmt.Sprintf("http://%s:%d%s", host, port, path))
	}
	return urls
}

// prober sends a request to every target every 50 ms from inside a pod's network namespace
// (its sandbox's, which the pod's containers share), each on a new connection, as a client in
// the pod would, and counts answers and failures per target. A request fails when it gets no
// answer within probeTimeout: a broken path (no route, a dropped rule) refuses or loses the
// connection, and a lost SYN is sent again after 1 s and 3 s; a slow answer on this shared
// machine is not a loss, but the slowest one is reported.
type prober struct {
	l       *testLab
	cancel  context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex
	ok      map[string]int
	failed  map[string][]string // when and why
	slowest time.Duration
	// slow are the answers that took over a second, when sent and how long: a SYN dropped
	// once shows as an answer after 1 s, so a cluster of them in time is a short break.
	slow []string
	// inFlight are the requests not yet answered: each holds an OS thread in the pod's
	// namespace (nodens.DialContext) and a socket, so past maxInFlight a request is not
	// sent but counted as failed, rather than a broken path exhausting the machine.
	inFlight int
}

const maxInFlight = 200

const (
	probeInterval = 50 * time.Millisecond
	probeTimeout  = 5 * time.Second
)

func (l *testLab) startProber(pod string, targets []string) *prober {
	var p0 struct {
		Metadata struct{ UID string }
		Spec     struct{ NodeName string }
	}
	l.kubectlInto(&p0, "get", "pod", pod)
	netns, err := lab.PodNetns(context.Background(), l.stateRoot, l.name, p0.Spec.NodeName, p0.Metadata.UID)
	if err != nil {
		l.t.Fatalf("the network namespace of pod %s: %v", pod, err)
	}
	return l.startProberIn(netns, pod, targets)
}

// startProberIn polls the targets from the network namespace netns (a path), named from in
// messages.
func (l *testLab) startProberIn(netns, from string, targets []string) *prober {
	t := l.t
	client := &http.Client{Timeout: probeTimeout, Transport: &http.Transport{
		DisableKeepAlives: true, DialContext: nodens.At(netns).DialContext,
	}}
	ctx, cancel := context.WithCancel(context.Background())
	p := &prober{l: l, cancel: cancel, done: make(chan struct{}), ok: map[string]int{}, failed: map[string][]string{}}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(probeInterval)
		defer tick.Stop()
		for {
			for _, u := range targets {
				go p.probe(ctx, client, u)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	eventually(t, 30*time.Second, "answers from "+from+" to "+strings.Join(targets, " "), func() error {
		ok, _ := p.counts()
		for _, u := range targets {
			if ok[u] == 0 {
				return fmt.Errorf("no answer from %s yet", u)
			}
		}
		return nil
	})
	return p
}

func (p *prober) probe(ctx context.Context, client *http.Client, url string) {
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, url, nil)
	if err != nil {
		panic(err)
	}
	start := time.Now()
	p.mu.Lock()
	if p.inFlight >= maxInFlight {
		p.failed[url] = append(p.failed[url], fmt.Sprintf("%s not sent: %d requests unanswered", start.Format("15:04:05.000"), p.inFlight))
		p.mu.Unlock()
		return
	}
	p.inFlight++
	p.mu.Unlock()
	resp, err := client.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %s", resp.Status)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight--
	if err != nil {
		p.failed[url] = append(p.failed[url], start.Format("15:04:05.000")+" "+err.Error())
	} else {
		p.ok[url]++
		took := time.Since(start)
		p.slowest = max(p.slowest, took)
		if took > time.Second {
			p.slow = append(p.slow, fmt.Sprintf("%s %s %s", start.Format("15:04:05.000"), url, took.Round(time.Millisecond)))
		}
	}
}

// counts are the answers and the failures so far, by target.
func (p *prober) counts() (ok map[string]int, failed map[string][]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ok, failed = map[string]int{}, map[string][]string{}
	for u, n := range p.ok {
		ok[u] = n
	}
	for u, f := range p.failed {
		failed[u] = append([]string(nil), f...)
	}
	return ok, failed
}

// stop ends the polling, lets the last requests finish (their timeout) and returns the
// counts, logging them and the slowest answer as measured figures of what.
func (p *prober) stop(what string) (ok map[string]int, failed map[string][]string) {
	p.cancel()
	<-p.done
	time.Sleep(probeTimeout + 500*time.Millisecond)
	ok, failed = p.counts()
	p.mu.Lock()
	slowest, slow := p.slowest, p.slow
	p.mu.Unlock()
	nfailed := map[string]string{}
	for u, f := range failed {
		nfailed[u] = fmt.Sprintf("%d (%s .. %s)", len(f), f[0][:12], f[len(f)-1][:12])
	}
	p.l.t.Logf("MEASURED: requests every %s during %s: answered %v, failed %v; slowest answer %s, %d answers over 1s",
		probeInterval, what, ok, nfailed, slowest.Round(time.Millisecond), len(slow))
	if len(slow) > 0 {
		p.l.t.Logf("answers over 1s (sent, target, took):\n%s", strings.Join(slow, "\n"))
	}
	return ok, failed
}

// nodeNetwork is what the agent keeps on a node: its whole nftables ruleset and its routes of
// both families, as `nft list ruleset` and `ip route` print them in the node's namespace.
func (l *testLab) nodeNetwork(node string) string {
	l.t.Helper()
	var b strings.Builder
	for _, args := range [][]string{{"nft", "list", "ruleset"}, {"ip", "-4", "route"}, {"ip", "-6", "route"}} {
		out, err := l.exec(node, args...)
		if err != nil {
			l.t.Fatalf("%s in %s: %v\n%s", strings.Join(args, " "), node, err, out)
		}
		fmt.Fprintf(&b, "# %s\n%s", strings.Join(args, " "), out)
	}
	return b.String()
}

// agentPod is the dualnet-agent pod on node.
func (l *testLab) agentPod(node string) podState {
	var list podList
	l.kubectlInto(&list, "-n", "kube-system", "get", "pods", "-l", "app.kubernetes.io/name=dualnet-agent", "--field-selector=spec.nodeName="+node)
	if len(list.Items) != 1 {
		l.t.Fatalf("%d dualnet-agent pods on %s, want 1", len(list.Items), node)
	}
	return list.Items[0].state()
}

// agentPID is the PID of the dualnet-agent process in node's network namespace: the agent
// container's process (hostNetwork).
func (l *testLab) agentPID(node string) int {
	found := l.processesIn(node, "dualnet-agent")
	if len(found) != 1 {
		l.t.Fatalf("dualnet-agent processes in %s: %v, want one", node, found)
	}
	return found[0]
}

// processesIn are the PIDs of the processes called comm in node's network namespace.
func (l *testLab) processesIn(node, comm string) []int {
	var want syscall.Stat_t
	if err := syscall.Stat(netns.Path(node), &want); err != nil {
		l.t.Fatal(err)
	}
	procs, _ := os.ReadDir("/proc")
	var found []int
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		c, err := os.ReadFile(filepath.Join("/proc", p.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(c)) != comm {
			continue
		}
		var ns syscall.Stat_t
		if syscall.Stat(filepath.Join("/proc", p.Name(), "ns", "net"), &ns) == nil && ns.Ino == want.Ino {
			found = append(found, pid)
		}
	}
	return found
}

// checkAgentCrashChangesNothing kills the agent container's process on node with SIGKILL:
// the client keeps reaching the server on that node in both families, the kubelet restarts
// the container, and the restarted agent leaves the node's ruleset and routes as they were.
func (l *testLab) checkAgentCrashChangesNothing(node, client string, targets []string) {
	t := l.t
	before := l.nodeNetwork(node)
	pod := l.agentPod(node)
	probe := l.startProber(client, targets)
	pid := l.agentPID(node)
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill dualnet-agent (pid %d) on %s: %v", pid, node, err)
	}
	eventually(t, 90*time.Second, "the dualnet-agent pod on "+node+" restarted and Ready", func() error {
		now := l.agentPod(node)
		if now.name != pod.name || now.restarts != pod.restarts+1 || !now.ready {
			return fmt.Errorf("pod %s: %d restarts (was %d), ready %v", now.name, now.restarts, pod.restarts, now.ready)
		}
		return nil
	})
	t.Logf("MEASURED: dualnet-agent on %s Ready again %.1fs after SIGKILL", node, time.Since(killed).Seconds())
	// A full sync of the restarted agent has run (it is Ready); one more second for good measure.
	time.Sleep(time.Second)
	ok, failed := probe.stop("the agent crash")
	for _, u := range targets {
		if len(failed[u]) > 0 || ok[u] == 0 {
			t.Errorf("agent crash on %s: %s answered %d, failed %d, want no failure: %q", node, u, ok[u], len(failed[u]), failed[u])
		}
	}
	if after := l.nodeNetwork(node); after != before {
		t.Errorf("the restarted agent changed %s's ruleset or routes:\nbefore:\n%s\nafter:\n%s", node, before, after)
	}
}

// checkControllerFailover deletes the leading controller pod: another replica holds the
// Lease within 20 s, and the Deployment is back at 2/2.
func (l *testLab) checkControllerFailover() {
	t := l.t
	old := l.leaseHolder()
	leader := l.leaderPod()
	start := time.Now()
	l.kubectl("-n", "kube-system", "delete", "pod", leader, "--wait=false")
	var holder string
	for time.Since(start) < 30*time.Second {
		if holder = l.leaseHolder(); holder != "" && holder != old {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(start)
	t.Logf("MEASURED: controller failover: %s led after %.1fs (deleted pod %s of %s)", holder, took.Seconds(), leader, old)
	if holder == "" || holder == old || took > 20*time.Second {
		t.Fatalf("after deleting the leader %s, the Lease is held by %q after %s, want another replica within 20s", leader, holder, took.Round(time.Millisecond))
	}
	eventually(t, 90*time.Second, "dualnet-controller back at 2/2 with the new leader Ready", func() error {
		if w := l.workloads()["Deployment/dualnet-controller"]; w.ready != 2 {
			return fmt.Errorf("%d/2 ready", w.ready)
		}
		if l.leaseHolder() != holder {
			return fmt.Errorf("the lead moved again, to %s", l.leaseHolder())
		}
		l.leaderPod()
		return nil
	})
}

// globalAddrs are the global addresses of eth0 in a lab namespace, IPv4 first.
func (l *testLab) globalAddrs(target string) []netip.Addr {
	var out []netip.Addr
	for _, family := range []string{"-4", "-6"} {
		f := strings.Fields(l.execOK(target, "ip", "-o", family, "addr", "show", "dev", "eth0", "scope", "global"))
		for i := range f {
			if (f[i] == "inet" || f[i] == "inet6") && i+1 < len(f) {
				p, err := netip.ParsePrefix(f[i+1])
				if err != nil {
					l.t.Fatal(err)
				}
				out = append(out, p.Addr())
				break
			}
		}
	}
	if len(out) != 2 {
		l.t.Fatalf("addresses of eth0 in %s: %v, want one per family", target, out)
	}
	return out
}

// nodeCIDRs are every node's spec.podCIDRs and InternalIPs, by name.
func (l *testLab) nodeCIDRs() (cidrs map[string][]netip.Prefix, ips map[string][]netip.Addr) {
	var list struct {
		Items []struct {
			Metadata struct{ Name string }
			Spec     struct{ PodCIDRs []netip.Prefix }
			Status   struct {
				Addresses []struct{ Type, Address string }
			}
		}
	}
	l.kubectlInto(&list, "get", "nodes")
	cidrs, ips = map[string][]netip.Prefix{}, map[string][]netip.Addr{}
	for _, n := range list.Items {
		cidrs[n.Metadata.Name] = n.Spec.PodCIDRs
		for _, a := range n.Status.Addresses {
			if ip, err := netip.ParseAddr(a.Address); err == nil && a.Type == "InternalIP" {
				ips[n.Metadata.Name] = append(ips[n.Metadata.Name], ip)
			}
		}
	}
	return cidrs, ips
}

// vnetRoute is the vnet's route to prefix (what armemu mirrored of the route table), or "".
func (l *testLab) vnetRoute(p netip.Prefix) string {
	family := "-4"
	if p.Addr().Is6() {
		family = "-6"
	}
	return strings.TrimSpace(l.execOK("vnet", "ip", family, "route", "show", "exact", p.String()))
}

// lateNode is a Node object as a joining node's kubelet registers it: its name, and its
// InternalIP of each family on the virtual network.
const lateNode = `apiVersion: v1
kind: Node
metadata:
  name: %[1]s
  labels: {kubernetes.io/hostname: %[1]s, kubernetes.io/os: linux}
status:
  addresses:
  - {type: InternalIP, address: "%[2]s"}
  - {type: InternalIP, address: "%[3]s"}
  - {type: Hostname, address: %[1]s}
`

// checkLateNodeGetsCIDRsAndRoutes registers a Node after the failover, as a node joining
// then would (the lab cannot add a kubelet at run time, so the Node object alone, with the
// InternalIPs a kubelet reports): the new leader gives it the next free pod CIDR block of
// each family, IPv4 first, and the route table carries a route to each through its
// InternalIP, which the vnet shows; deleting the Node takes the routes away. The DaemonSets'
// pods bound to it go too (the pod garbage collector), leaving both DaemonSets as before.
func (l *testLab) checkLateNodeGetsCIDRsAndRoutes() {
	t := l.t
	name := l.name + "-late-0"
	cidrs, ips := l.nodeCIDRs()
	// The address after the registry's, the last machine of the virtual network
	// (internal/lab/addressing.go): no node nor machine uses it.
	var addrs []netip.Addr
	for _, a := range l.globalAddrs(l.name + "-registry") {
		addrs = append(addrs, a.Next())
	}
	for n, nips := range ips {
		for _, a := range nips {
			if slices.Contains(addrs, a) {
				t.Fatalf("node %s already has %s", n, a)
			}
		}
	}
	// The allocator gives the lowest block number free in every family (internal/ipam):
	// with deploy/'s spec, block i is 10.244.i.0/24 and fd12:3456:789a:0:i::/80.
	used := map[netip.Prefix]bool{}
	for _, cs := range cidrs {
		for _, c := range cs {
			used[c] = true
		}
	}
	var want []netip.Prefix
	for i := 0; want == nil; i++ {
		v4 := netip.MustParsePrefix(fmt.Sprintf("10.244.%d.0/24", i))
		v6 := netip.MustParsePrefix(fmt.Sprintf("fd12:3456:789a:0:%x::/80", i))
		if !used[v4] && !used[v6] {
			want = []netip.Prefix{v4, v6}
		}
	}
	path := filepath.Join(t.TempDir(), "late-node.yaml")
	if err := os.WriteFile(path, fmt.Appendf(nil, lateNode, name, addrs[0], addrs[1]), 0o600); err != nil {
		t.Fatal(err)
	}
	created := time.Now()
	l.kubectl("create", "-f", path)
	var got []netip.Prefix
	eventually(t, 2*time.Minute, "node "+name+" has pod CIDRs", func() error {
		all, _ := l.nodeCIDRs()
		got = all[name]
		if len(got) == 0 {
			return errors.New("no spec.podCIDRs yet")
		}
		return nil
	})
	cidrsAfter := time.Since(created)
	if !slices.Equal(got, want) {
		t.Errorf("node %s got pod CIDRs %v, want the next free blocks %v", name, got, want)
	}
	eventually(t, 2*time.Minute, "the vnet routes "+name+"'s pod CIDRs via its InternalIPs", func() error {
		for i, c := range got {
			if r := l.vnetRoute(c); !strings.Contains(r+" ", " via "+addrs[i].String()+" ") {
				return fmt.Errorf("route to %s: %q, want via %s", c, r, addrs[i])
			}
		}
		return nil
	})
	t.Logf("MEASURED: node %s (%s, %s) registered after the failover: pod CIDRs %v after %.1fs, both routes in the vnet after %.1fs",
		name, addrs[0], addrs[1], got, cidrsAfter.Seconds(), time.Since(created).Seconds())

	deleted := time.Now()
	l.kubectl("delete", "node", name)
	eventually(t, 2*time.Minute, "the vnet's routes to "+name+"'s pod CIDRs gone", func() error {
		for _, c := range got {
			if r := l.vnetRoute(c); r != "" {
				return fmt.Errorf("route to %s still there: %q", c, r)
			}
		}
		return nil
	})
	t.Logf("MEASURED: node %s deleted: its routes gone from the vnet after %.1fs", name, time.Since(deleted).Seconds())
	// The DaemonSet controller does not count the Node out until it syncs the DaemonSet
	// again (the rollout below makes it): its desired number may still say 4.
	eventually(t, 3*time.Minute, "no pod bound to "+name+", 3 ready pods of each DaemonSet", func() error {
		var pods podList
		l.kubectlInto(&pods, "get", "pods", "-A", "--field-selector=spec.nodeName="+name)
		if len(pods.Items) > 0 {
			return fmt.Errorf("%d pods bound to %s", len(pods.Items), name)
		}
		w := l.workloads()
		for _, ds := range []string{"DaemonSet/dualnet-agent", "DaemonSet/kube-proxy"} {
			if w[ds].ready != 3 {
				return fmt.Errorf("%s %d/%d ready", ds, w[ds].ready, w[ds].desired)
			}
		}
		return nil
	})
}

// upgradeTag is the second tag of the same image, as a release would push it.
const upgradeTag = "upgrade-e2e"

// pushSecondTag pushes make image's image under a second tag to the lab's registry.
func (l *testLab) pushSecondTag() string {
	t := l.t
	tar := filepath.Join(binDir, "dualnet-image.tar")
	tag, err := name.NewTag(manifestImage())
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(tar, &tag)
	if err != nil {
		t.Fatal(err)
	}
	second := tag.Context().Tag(upgradeTag)
	regNS := l.name + "-registry"
	addr := strings.TrimSpace(strings.Split(strings.Fields(l.execOK(regNS, "ip", "-o", "-4", "addr", "show", "dev", "eth0"))[3], "/")[0])
	transport := &http.Transport{DialContext: netns.At(regNS).DialContext}
	defer transport.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := registry.Push(ctx, addr+":5000", []images.Image{{Tags: []name.Tag{second}, Image: img}}, registry.PushOptions{Transport: transport}); err != nil {
		t.Fatalf("push %s to the lab's registry: %v", second, err)
	}
	return second.String()
}

// kubectlWait runs kubectl for a command that waits (rollout status, delete), up to timeout.
func (l *testLab) kubectlWait(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlPath, append(args, "--timeout="+timeout.String())...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+l.kubeconfig)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (l *testLab) execOK(target string, args ...string) string {
	l.t.Helper()
	out, err := l.exec(target, args...)
	if err != nil {
		l.t.Fatalf("%s in %s: %v\n%s", strings.Join(args, " "), target, err, out)
	}
	return out
}

// upgradeLB is a dual-stack LoadBalancer Service in front of the server pod (kubectl run
// labels it run=<name>), Cluster: every node is a healthy backend.
const upgradeLB = `apiVersion: v1
kind: Service
metadata: {name: %[1]s-lb}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Cluster
  ipFamilyPolicy: RequireDualStack
  ipFamilies: [IPv4, IPv6]
  selector: {run: %[1]s}
  ports: [{port: 80, targetPort: 8080}]
`

// dualnetTables are the nftables tables the agent and the plugin keep on every node.
var dualnetTables = []string{"table inet dualnet", "table bridge dualnet-antispoof", "table ip6 dualnet-lb-probe"}

// checkUpgradeLosesNothing rolls a second tag out to the agent DaemonSet and the controller
// Deployment with kubectl set image, as deploy/README says, while the client polls the server
// on another node and the internet polls the server's LoadBalancer Service, every 50 ms in
// both families: no request fails; pods created on every node while the rollout runs get
// addresses of both families; and every node's ruleset (dualnet's anti-spoofing and NAT
// tables among it) and routes are the same before and after.
func (l *testLab) checkUpgradeLosesNothing(client, server string, targets []string) {
	t := l.t
	image := l.pushSecondTag()
	nodes := []string{l.name + "-node-0", l.name + "-node-1", l.name + "-node-2"}
	l.apply("upgrade-lb", fmt.Sprintf(upgradeLB, server))
	var lbTargets []string
	for _, fe := range l.ingress(server+"-lb", 2) {
		l.healthyExactly(fe, slices.Clone(nodes), 2*time.Minute)
		lbTargets = append(lbTargets, "http://"+hostPort(fe, 80)+"/hostname")
	}
	before := map[string]string{}
	for _, n := range nodes {
		before[n] = l.nodeNetwork(n)
		for _, table := range dualnetTables {
			if !strings.Contains(before[n], table+" {") {
				t.Errorf("%s has no %s before the upgrade:\n%s", n, table, before[n])
			}
		}
	}
	probe := l.startProber(client, targets)
	lbProbe := l.startProberIn(netns.Path(l.name+"-internet"), "the internet", lbTargets)
	watched := l.watchNetworks([]string{l.name + "-vnet", nodes[0], nodes[1]})
	start := time.Now()
	l.kubectl("-n", "kube-system", "set", "image", "daemonset/dualnet-agent", "dualnet-agent="+image)
	l.kubectl("-n", "kube-system", "set", "image", "deployment/dualnet-controller", "dualnet-controller="+image)
	// Pods created while the rollout runs, one every 5 s, on each node in turn, at most two
	// per node (the machine is shared).
	rolledOut := make(chan struct{})
	created := make(chan []string)
	go func() {
		var made []string
		defer func() { created <- made }()
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for i := 0; i < 2*len(nodes); i++ {
			pod := fmt.Sprintf("e2e-rollout-%d", i)
			overrides := fmt.Sprintf(`{"spec":{"nodeName":%q}}`, nodes[i%len(nodes)])
			if out, err := l.kubectlErr("run", pod, "--image="+images.Agnhost, "--restart=Never", "--labels=e2e=rollout",
				"--overrides="+overrides, "--", "pause"); err != nil {
				made = append(made, fmt.Sprintf("!%s: %v: %s", pod, err, out))
			} else {
				made = append(made, fmt.Sprintf("%s %s +%.1fs", pod, nodes[i%len(nodes)], time.Since(start).Seconds()))
			}
			select {
			case <-rolledOut:
				return
			case <-tick.C:
			}
		}
		<-rolledOut
	}()
	for _, w := range []string{"daemonset/dualnet-agent", "deployment/dualnet-controller"} {
		if out, err := l.kubectlWait(6*time.Minute, "-n", "kube-system", "rollout", "status", w); err != nil {
			watched()
			close(rolledOut)
			<-created
			t.Fatalf("kubectl rollout status %s: %v\n%s", w, err, out)
		}
	}
	took := time.Since(start)
	changes := watched()
	close(rolledOut)
	made := <-created
	t.Logf("MEASURED: rollout of %s to the agents and controllers took %.1fs", image, took.Seconds())
	t.Logf("pods created during the rollout (name, node, since kubectl set image): %s", strings.Join(made, "; "))
	ok, failed := probe.stop("the upgrade, pod to pod")
	lbOK, lbFailed := lbProbe.stop("the upgrade, the internet to the LoadBalancer")
	for u, n := range lbOK {
		ok[u] = n
	}
	for u, f := range lbFailed {
		failed[u] = f
	}
	lost := false
	for _, u := range append(slices.Clone(targets), lbTargets...) {
		if len(failed[u]) > 0 || ok[u] == 0 {
			lost = true
			t.Errorf("upgrade: %s answered %d, failed %d, want no failure: %q", u, ok[u], len(failed[u]), failed[u][:min(len(failed[u]), 10)])
		}
	}
	if lost {
		t.Logf("during the rollout, kube-system's pods and what changed in the vnet, %s and %s:\n%s", nodes[0], nodes[1], strings.Join(changes, "\n"))
	}
	for _, m := range made {
		if strings.HasPrefix(m, "!") {
			t.Errorf("kubectl run during the rollout: %s", m[1:])
		}
	}
	eventually(t, 3*time.Minute, "every pod created during the rollout Ready with both families", func() error {
		var pods podList
		l.kubectlInto(&pods, "get", "pods", "-l", "e2e=rollout")
		for _, p := range pods.Items {
			if !p.state().ready || len(p.Status.PodIPs) != 2 {
				return fmt.Errorf("pod %s on %s: ready %v, IPs %v", p.Metadata.Name, p.Spec.NodeName, p.state().ready, p.Status.PodIPs)
			}
		}
		if len(pods.Items) == 0 {
			return errors.New("no pod")
		}
		return nil
	})
	w := l.workloads()
	for _, name := range []string{"DaemonSet/dualnet-agent", "Deployment/dualnet-controller"} {
		if got := w[name]; got.image != image || got.ready != got.desired || got.updated != got.desired {
			t.Errorf("%s after the rollout: image %s, %d/%d ready, %d updated", name, got.image, got.ready, got.desired, got.updated)
		}
	}
	l.leaderPod()
	// The pods created during the rollout added their own anti-spoofing entries: once they
	// are gone, every node is as before.
	if out, err := l.kubectlWait(3*time.Minute, "delete", "pods", "-l", "e2e=rollout"); err != nil {
		t.Fatalf("kubectl delete pods -l e2e=rollout: %v\n%s", err, out)
	}
	after := map[string]string{}
	err := poll.Until(time.Minute, time.Second, func() error {
		var differ []string
		for _, n := range nodes {
			if after[n] = l.nodeNetwork(n); after[n] != before[n] {
				differ = append(differ, n)
			}
		}
		if len(differ) > 0 {
			return fmt.Errorf("%v differ", differ)
		}
		return nil
	})
	if err != nil {
		for _, n := range nodes {
			if after[n] != before[n] {
				t.Errorf("the upgrade changed %s's ruleset or routes:\nbefore:\n%s\nafter:\n%s", n, before[n], after[n])
			}
		}
	}
}

// watchNetworks records, every 2 s until stopped, what changed in the namespaces' links,
// routes and nftables rulesets (lines gone and come, with the time), and every event of
// kube-system's pods: what to read when a request failed during a rollout.
func (l *testLab) watchNetworks(namespaces []string) (stop func() []string) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var events []string
	add := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
	}
	watch := exec.CommandContext(ctx, kubectlPath, "-n", "kube-system", "get", "pods", "-o", "wide", "-w", "--output-watch-events", "--no-headers")
	watch.Env = append(os.Environ(), "KUBECONFIG="+l.kubeconfig)
	out, err := watch.StdoutPipe()
	if err != nil {
		l.t.Fatal(err)
	}
	if err := watch.Start(); err != nil {
		l.t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			add("pod %s", strings.Join(strings.Fields(lines.Text())[:min(6, len(strings.Fields(lines.Text())))], " "))
		}
		_ = watch.Wait()
	}()
	go func() {
		defer wg.Done()
		last := map[string]map[string]bool{}
		for {
			for _, ns := range namespaces {
				for _, args := range [][]string{{"ip", "-n", ns, "-o", "link", "show"}, {"ip", "-n", ns, "-4", "route"}, {"ip", "-n", ns, "-6", "route"}, {"ip", "netns", "exec", ns, "nft", "list", "ruleset"}} {
					key := ns + " " + args[len(args)-2] + " " + args[len(args)-1]
					b, _ := exec.CommandContext(ctx, args[0], args[1:]...).Output()
					now := map[string]bool{}
					for _, line := range strings.Split(string(b), "\n") {
						if line = strings.TrimSpace(line); line != "" {
							now[line] = true
						}
					}
					if prev, ok := last[key]; ok {
						for line := range prev {
							if !now[line] {
								add("%s: - %s", key, line)
							}
						}
						for line := range now {
							if !prev[line] {
								add("%s: + %s", key, line)
							}
						}
					}
					last[key] = now
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
		}
	}()
	return func() []string {
		cancel()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return events
	}
}
