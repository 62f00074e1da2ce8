//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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
)

// dualnet runs in the lab as users install it (deploy/ through the lab's overlay, kubectl
// apply -k): after lab up, kube-system shows the agent and kube-proxy DaemonSets on every
// node, the controller Deployment 2/2 with one leader, and CoreDNS ready. Then, on that one
// lab: the agent's container killed on a node leaves that node's pods serving and its
// ruleset and routes as they were; deleting the leading controller pod hands the lead to
// another replica within 20 s; and a second image tag rolled out to both workloads with
// kubectl set image loses no request of a client polling a pod on another node every 50 ms
// in both families.
func TestDualnetRunsAsPodsInstalledWithKubectl(t *testing.T) {
	l := startLab(t, routeMode)
	t.Logf("MEASURED: lab up with dualnet and kube-proxy as pods %.1fs", l.upTime.Seconds())
	l.checkNetworkPodsReady()

	node0, node1 := l.name+"-node-0", l.name+"-node-1"
	server := l.agnhostPod("e2e-server", node1, "netexec", "--http-port=8080")
	client := l.agnhostPod("e2e-client", node0, "pause")
	targets := l.podURLs(server, 8080, "/hostname")

	l.checkAgentCrashChangesNothing(node1, client, targets)
	l.checkControllerFailover()
	l.checkUpgradeLosesNothing(client, targets)
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
}

const (
	probeInterval = 50 * time.Millisecond
	probeTimeout  = 5 * time.Second
)

func (l *testLab) startProber(pod string, targets []string) *prober {
	t := l.t
	var p0 struct {
		Metadata struct{ UID string }
		Spec     struct{ NodeName string }
	}
	l.kubectlInto(&p0, "get", "pod", pod)
	netns, err := lab.PodNetns(context.Background(), l.stateRoot, l.name, p0.Spec.NodeName, p0.Metadata.UID)
	if err != nil {
		t.Fatalf("the network namespace of pod %s: %v", pod, err)
	}
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
	eventually(t, 30*time.Second, "answers from "+pod+" to "+strings.Join(targets, " "), func() error {
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
	p.l.t.Logf("MEASURED: requests every %s during %s: answered %v, failed %v; slowest answer %s, %d answers over 1s",
		probeInterval, what, ok, failed, slowest.Round(time.Millisecond), len(slow))
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
	t := l.t
	var want syscall.Stat_t
	if err := syscall.Stat(filepath.Join("/run/netns", node), &want); err != nil {
		t.Fatal(err)
	}
	procs, _ := os.ReadDir("/proc")
	var found []int
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", p.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "dualnet-agent" {
			continue
		}
		var ns syscall.Stat_t
		if syscall.Stat(filepath.Join("/proc", p.Name(), "ns", "net"), &ns) == nil && ns.Ino == want.Ino {
			found = append(found, pid)
		}
	}
	if len(found) != 1 {
		t.Fatalf("dualnet-agent processes in %s: %v, want one", node, found)
	}
	return found[0]
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
	transport := &http.Transport{DialContext: nodens.At(filepath.Join("/run/netns", regNS)).DialContext}
	defer transport.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := registry.Push(ctx, addr+":5000", []images.Image{{Tags: []name.Tag{second}, Image: img}}, registry.PushOptions{Transport: transport}); err != nil {
		t.Fatalf("push %s to the lab's registry: %v", second, err)
	}
	return second.String()
}

func (l *testLab) execOK(target string, args ...string) string {
	l.t.Helper()
	out, err := l.exec(target, args...)
	if err != nil {
		l.t.Fatalf("%s in %s: %v\n%s", strings.Join(args, " "), target, err, out)
	}
	return out
}

// checkUpgradeLosesNothing rolls a second tag out to the agent DaemonSet and the controller
// Deployment with kubectl set image, as deploy/README says, while the client polls the server
// on another node every 50 ms in both families: no request fails, a pod created during the
// rollout gets addresses of both families, and every node's ruleset and routes are the same
// before and after.
func (l *testLab) checkUpgradeLosesNothing(client string, targets []string) {
	t := l.t
	image := l.pushSecondTag()
	nodes := []string{l.name + "-node-0", l.name + "-node-1", l.name + "-node-2"}
	before := map[string]string{}
	for _, n := range nodes {
		before[n] = l.nodeNetwork(n)
	}
	probe := l.startProber(client, targets)
	start := time.Now()
	l.kubectl("-n", "kube-system", "set", "image", "daemonset/dualnet-agent", "dualnet-agent="+image)
	l.kubectl("-n", "kube-system", "set", "image", "deployment/dualnet-controller", "dualnet-controller="+image)
	mid := l.agnhostPod("e2e-during-rollout", nodes[2], "pause")
	for _, w := range []string{"daemonset/dualnet-agent", "deployment/dualnet-controller"} {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		cmd := exec.CommandContext(ctx, kubectlPath, "-n", "kube-system", "rollout", "status", w, "--timeout=4m")
		cmd.Env = append(os.Environ(), "KUBECONFIG="+l.kubeconfig)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("kubectl rollout status %s: %v\n%s", w, err, out)
		}
	}
	t.Logf("MEASURED: rollout of %s to the agents and controllers took %.1fs", image, time.Since(start).Seconds())
	ok, failed := probe.stop("the upgrade")
	for _, u := range targets {
		if len(failed[u]) > 0 || ok[u] == 0 {
			t.Errorf("upgrade: %s answered %d, failed %d, want no failure: %q", u, ok[u], len(failed[u]), failed[u])
		}
	}
	w := l.workloads()
	for _, name := range []string{"DaemonSet/dualnet-agent", "Deployment/dualnet-controller"} {
		if got := w[name]; got.image != image || got.ready != got.desired || got.updated != got.desired {
			t.Errorf("%s after the rollout: image %s, %d/%d ready, %d updated", name, got.image, got.ready, got.desired, got.updated)
		}
	}
	l.leaderPod()
	for _, n := range nodes {
		after := l.nodeNetwork(n)
		if n == nodes[2] {
			// The pod created during the rollout added its own anti-spoofing entries there.
			l.kubectl("delete", "pod", mid, "--wait=true")
			after = l.nodeNetwork(n)
		}
		if after != before[n] {
			t.Errorf("the upgrade changed %s's ruleset or routes:\nbefore:\n%s\nafter:\n%s", n, before[n], after)
		}
	}
}
