//go:build e2e

package e2e

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	nodesCommand = `kubectl get nodes -o=custom-columns="NAME:.metadata.name,ADDRESSES:.status.addresses[?(@.type=='InternalIP')].address,PODCIDRS:.spec.podCIDRs[*]"`
	podsCommand  = `kubectl get pods -o custom-columns="NAME:.metadata.name,IPs:.status.podIPs[*].ip,NODE:.spec.nodeName,READY:.status.conditions[?(@.type=='Ready')].status"`
)

// row is one line of a custom-columns table.
type row []string

// table runs one of the article's commands, exactly as written (a shell would strip the
// quotes), and splits its output into rows under the header.
func (l *testLab) table(command string) []row {
	l.t.Helper()
	args := shellWords(strings.TrimPrefix(command, "kubectl "))
	out := l.kubectl(args...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var rows []row
	for _, line := range lines[1:] {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

// shellWords splits a command line as sh does for these commands: on spaces, with "..."
// and '...' quoting.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

func TestAKSDualStackWalkthroughOnTheLab(t *testing.T) {
	l := startLab(t, routeMode)
	t.Logf("MEASURED: lab up %.1fs (Kubernetes binaries cached)", l.upTime.Seconds())

	// Inspect the nodes to see both IP families.
	nodeAddrs := map[string][]netip.Addr{}
	nodeCIDRs := map[string][]netip.Prefix{}
	rows := l.table(nodesCommand)
	t.Logf("%s\n%v", nodesCommand, rows)
	if len(rows) != 3 {
		t.Fatalf("want 3 nodes, got %d: %v", len(rows), rows)
	}
	for _, r := range rows {
		if len(r) != 3 {
			t.Fatalf("node row %v: want NAME ADDRESSES PODCIDRS", r)
		}
		addrs := parseAddrs(t, r[1])
		cidrs := parsePrefixes(t, r[2])
		if len(addrs) != 2 || !addrs[0].Is4() || !addrs[1].Is6() {
			t.Errorf("node %s: addresses %s, want an IPv4 and an IPv6 address, IPv4 first", r[0], r[1])
		}
		if len(cidrs) != 2 {
			t.Fatalf("node %s: pod CIDRs %s, want one per family", r[0], r[2])
		}
		i := int(cidrs[0].Addr().As4()[2])
		want := fmt.Sprintf("10.244.%d.0/24,%s", i, netip.PrefixFrom(netip.AddrFrom16([16]byte{0: 0xfd, 1: 0x12, 2: 0x34, 3: 0x56, 4: 0x78, 5: 0x9a, 8: 0, 9: byte(i)}), 80))
		if r[2] != want {
			t.Errorf("node %s: pod CIDRs %s, want %s", r[0], r[2], want)
		}
		nodeAddrs[r[0]], nodeCIDRs[r[0]] = addrs, cidrs
	}

	// Deploy an nginx web server.
	start := time.Now()
	l.kubectl("create", "deployment", "nginx", "--image=nginx:latest", "--replicas=3")
	var pods []row
	eventually(t, 2*time.Minute, "3 nginx pods Ready with an IPv4 and an IPv6 address", func() error {
		pods = l.table(podsCommand)
		ready := 0
		for _, p := range pods {
			if len(p) == 4 && p[3] == "True" && strings.Contains(p[1], ",") {
				ready++
			}
		}
		if ready != 3 {
			return fmt.Errorf("%d of 3 ready: %v", ready, pods)
		}
		return nil
	})
	t.Logf("MEASURED: 3 nginx replicas Ready %.1fs after kubectl create deployment", time.Since(start).Seconds())
	t.Logf("%s\n%v", podsCommand, pods)
	podNode := map[string]string{}
	podIPs := map[string][]netip.Addr{}
	for _, p := range pods {
		ips := parseAddrs(t, p[1])
		cidrs := nodeCIDRs[p[2]]
		if len(ips) != 2 || !ips[0].Is4() || !ips[1].Is6() || !cidrs[0].Contains(ips[0]) || !cidrs[1].Contains(ips[1]) {
			t.Errorf("pod %s on %s: IPs %s, want IPv4 then IPv6 from the node's pod CIDRs %v", p[0], p[2], p[1], cidrs)
		}
		podNode[p[0]], podIPs[p[0]] = p[2], ips
	}

	// From a pod on one node to a pod on another, over each family: nginx's welcome page.
	from, to := pods[0][0], ""
	for _, p := range pods[1:] {
		if podNode[p[0]] != podNode[from] {
			to = p[0]
			break
		}
	}
	if to == "" {
		t.Fatalf("all nginx pods are on node %s; want pods on different nodes: %v", podNode[from], pods)
	}
	for _, ip := range podIPs[to] {
		url := "http://" + hostPort(ip, 80) + "/"
		page, err := l.exec("default/"+from, "curl", "-sS", "-m", "5", url)
		if err != nil || !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, "<title>Welcome to nginx!</title>") {
			t.Errorf("curl %s from pod %s (node %s) to pod %s (node %s): %v\n%s", url, from, podNode[from], to, podNode[to], err, page)
		}
	}

	l.checkVnetHostSeesNodeAddresses(from, podNode[from], nodeAddrs[podNode[from]])
	l.checkRoutes(nodeCIDRs, nodeAddrs)
	l.checkLoadBalancerServices()
	l.checkDualStackClusterIPService()
	l.checkHairpinAndSameNodeService()
	l.checkHostPortAtEachNodeAddress(nodeAddrs)
	l.checkNodesRunTheRealKubeletAndContainerd()
	l.checkNodesSpreadOverThreeZones()
	l.checkKubectlExecLogsPortForwardAndRun(from)
	l.checkClusterDNS()
	l.checkPodChurnLeavesOtherPodsAndTheStoresAlone()
	l.checkBandwidthAnnotationReachesThePlugin(podNode[to])
	l.checkNodeNotReadyWithoutTheConflist(podNode[to])
	l.checkPodDeletionTearsDownItsNetwork(to, podNode[to], podIPs[to])
	l.checkUnknownImageWaitsWithAReason()
	l.checkKubeletAndContainerdRestartKeepPodsServing(podNode[from])
}

// checkKubeletAndContainerdRestartKeepPodsServing kills a node's kubelet, then its
// containerd: the supervisor restarts each (as systemd would), the running pods keep their
// addresses of both families and serve, and a new pod starts on the node.
func (l *testLab) checkKubeletAndContainerdRestartKeepPodsServing(node string) {
	t := l.t
	before := l.table(podsCommand)
	for _, component := range []string{"kubelet-" + node, "containerd-" + node} {
		old := l.processPID(component)
		if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
			t.Fatalf("kill %s (pid %d): %v", component, old, err)
		}
		var restarted int
		var since time.Time
		eventually(t, time.Minute, component+" restarted and running for 3s", func() error {
			pid := l.processPID(component)
			if pid == old || syscall.Kill(pid, 0) != nil {
				return fmt.Errorf("not running again yet (pid %d)", pid)
			}
			if pid != restarted {
				restarted, since = pid, time.Now()
			}
			if time.Since(since) < 3*time.Second {
				return fmt.Errorf("pid %d running for %s", pid, time.Since(since))
			}
			return nil
		})
	}
	eventually(t, time.Minute, "nginx on "+node+" Ready with the same addresses and serving both families", func() error {
		var pod, other string
		var ips []netip.Addr
		after := l.table(podsCommand)
		for _, p := range after {
			if len(p) == 4 && p[2] == node && p[3] == "True" && strings.Contains(p[1], ",") {
				pod, ips = p[0], parseAddrs(t, p[1])
			} else if len(p) == 4 && p[2] != node && p[3] == "True" {
				other = p[0]
			}
		}
		if pod == "" || other == "" {
			return fmt.Errorf("no Ready nginx pod on %s and elsewhere yet", node)
		}
		for _, p := range before {
			if len(p) == 4 && p[0] == pod && p[1] != joinAddrs(ips) {
				t.Errorf("pod %s had %s before the restarts, %s after", pod, p[1], joinAddrs(ips))
			}
		}
		for _, ip := range ips {
			page, err := l.exec("default/"+other, "curl", "-sS", "-m", "3", "http://"+hostPort(ip, 80)+"/")
			if err != nil || !strings.Contains(page, "Welcome to nginx!") {
				return fmt.Errorf("curl %s from %s: %v %s", ip, other, err, page)
			}
		}
		return nil
	})
	name := "after-restart"
	l.kubectl("run", name, "--image=busybox", "--restart=Never", `--overrides={"spec":{"nodeName":"`+node+`"}}`, "--", "sleep", "3600")
	eventually(t, time.Minute, "a new pod on "+node+" Running with both families", func() error {
		ips := strings.TrimSpace(l.kubectl("get", "pod", name, "-o", "jsonpath={.status.podIPs[*].ip}"))
		if len(strings.Fields(ips)) != 2 {
			return fmt.Errorf("pod IPs %q", ips)
		}
		return nil
	})
	l.kubectl("delete", "pod", name, "--wait=true", "--grace-period=1")
}

func joinAddrs(ips []netip.Addr) string {
	s := make([]string, len(ips))
	for i, ip := range ips {
		s[i] = ip.String()
	}
	return strings.Join(s, ",")
}

// checkPodDeletionTearsDownItsNetwork: kubectl delete returns once containerd has run CNI
// DEL: the pod's addresses are back in its node's address store, its veth is gone from the
// node's bridge, and the Deployment's replacement gets addresses.
func (l *testLab) checkPodDeletionTearsDownItsNetwork(pod string, node string, ips []netip.Addr) {
	t := l.t
	l.kubectl("delete", "pod", pod, "--wait=true")
	eventually(t, 30*time.Second, "pod "+pod+"'s addresses freed and its veth gone on "+node, func() error {
		for _, ip := range ips {
			if held, _ := filepath.Glob(filepath.Join(l.nodeDir(node), "root/var/lib/dualnet/cni/*/ip", ip.String())); len(held) > 0 {
				return fmt.Errorf("%s still held: %v", ip, held)
			}
		}
		return l.vethsMatchPods(node)
	})
	eventually(t, time.Minute, "the Deployment's 3 replicas Ready again", func() error {
		ready := 0
		for _, p := range l.table(podsCommand) {
			if len(p) == 4 && p[3] == "True" {
				ready++
			}
		}
		if ready != 3 {
			return fmt.Errorf("%d ready", ready)
		}
		return nil
	})
}

// vethsMatchPods: the node's bridge has one port per running pod that is not hostNetwork.
func (l *testLab) vethsMatchPods(node string) error {
	out, err := l.exec(node, "ip", "-o", "link", "show", "master", "cbr0")
	if err != nil {
		return fmt.Errorf("ip link on %s: %v %s", node, err, out)
	}
	ports := len(strings.Split(strings.TrimSpace(out), "\n"))
	if strings.TrimSpace(out) == "" {
		ports = 0
	}
	want := len(l.podNetworkIPs(node)) / 2 // one address of each family per pod
	if ports != want {
		return fmt.Errorf("%s: %d ports on cbr0, %d running pods", node, ports, want)
	}
	return nil
}

// checkUnknownImageWaitsWithAReason: an image the lab's registry does not hold leaves the pod
// waiting with the runtime's pull error, which names the lab's registry; nothing crashes and
// nothing is asked of the real registry.
func (l *testLab) checkUnknownImageWaitsWithAReason() {
	l.kubectl("run", "redis", "--image=redis:7")
	eventually(l.t, time.Minute, "pod redis waiting with reason ErrImagePull or ImagePullBackOff", func() error {
		out, _ := l.kubectlErr("get", "pod", "redis", "-o", "jsonpath={.status.containerStatuses[0].state.waiting.reason}: {.status.containerStatuses[0].state.waiting.message}")
		if !strings.HasPrefix(out, "ErrImagePull: ") && !strings.HasPrefix(out, "ImagePullBackOff: ") {
			return fmt.Errorf("got %q", out)
		}
		if !strings.Contains(out, "redis") {
			return fmt.Errorf("the message does not name the image: %q", out)
		}
		return nil
	})
	l.kubectl("delete", "pod", "redis", "--wait=true")
}

// checkVnetHostSeesNodeAddresses: a server on vnet-host (a VM on the virtual network) sees a
// pod's traffic coming from the pod's node, in the same family (AKS: NAT to the node's
// primary IP of the same family).
func (l *testLab) checkVnetHostSeesNodeAddresses(pod, node string, nodeAddrs []netip.Addr) {
	t := l.t
	vnetHostAddrs := l.vnetHostAddrs()
	server := l.background("vnet-host", agnhostPath, "netexec", "--http-port=8080")
	defer server()
	for i, addr := range vnetHostAddrs {
		url := "http://" + hostPort(addr, 8080) + "/clientip"
		var got string
		eventually(t, 10*time.Second, "vnet-host answers "+url, func() error {
			out, err := l.exec("default/"+pod, "curl", "-sS", "-m", "2", url)
			got = out
			return err
		})
		ap, err := netip.ParseAddrPort(strings.TrimSpace(got))
		if err != nil || ap.Addr().Unmap() != nodeAddrs[i] {
			t.Errorf("pod %s on %s -> vnet-host %s: server saw %q, want the node's address %s", pod, node, addr, got, nodeAddrs[i])
		}
	}
}

// checkRoutes: the vnet's route table holds one route per node per family, to the node's
// address, and every node says NetworkUnavailable=False.
func (l *testLab) checkRoutes(nodeCIDRs map[string][]netip.Prefix, nodeAddrs map[string][]netip.Addr) {
	t := l.t
	var routes []string
	for _, family := range []string{"-4", "-6"} {
		out, err := l.exec("vnet", "ip", family, "route", "show")
		if err != nil {
			t.Fatalf("ip %s route in vnet: %v\n%s", family, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) >= 3 && f[1] == "via" {
				if p, err := netip.ParsePrefix(f[0]); err == nil && (p.Addr().Is4() && p.Bits() == 24 || p.Addr().Is6() && p.Bits() == 80) {
					routes = append(routes, f[0]+" via "+f[2])
				}
			}
		}
	}
	t.Logf("vnet routes: %v", routes)
	if len(routes) != 6 {
		t.Errorf("vnet has %d pod CIDR routes, want 6 (3 nodes x 2 families): %v", len(routes), routes)
	}
	for node, cidrs := range nodeCIDRs {
		for i, c := range cidrs {
			want := c.String() + " via " + nodeAddrs[node][i].String()
			found := false
			for _, r := range routes {
				found = found || r == want
			}
			if !found {
				t.Errorf("vnet lacks the route %s (node %s)", want, node)
			}
		}
	}
	out := l.kubectl("get", "nodes", "-o", `jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="NetworkUnavailable")].status}{"\n"}{end}`)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasSuffix(line, "=False") {
			t.Errorf("node NetworkUnavailable: %s, want False", line)
		}
	}
}

func hostPort(ip netip.Addr, port int) string {
	return netip.AddrPortFrom(ip, uint16(port)).String()
}

func parseAddrs(t *testing.T, s string) []netip.Addr {
	var out []netip.Addr
	for _, f := range strings.Split(s, ",") {
		a, err := netip.ParseAddr(f)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		out = append(out, a)
	}
	return out
}

func parsePrefixes(t *testing.T, s string) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		out = append(out, p)
	}
	return out
}

// checkLoadBalancerServices: the article's two LoadBalancer services, one per family, get
// external addresses of their family, and a client on the internet gets nginx's page from each.
func (l *testLab) checkLoadBalancerServices() {
	t := l.t
	l.kubectl("expose", "deployment", "nginx", "--name=nginx-ipv4", "--port=80", "--type=LoadBalancer", `--overrides={"spec":{"externalTrafficPolicy":"Local"}}`)
	l.kubectl("expose", "deployment", "nginx", "--name=nginx-ipv6", "--port=80", "--type=LoadBalancer", `--overrides={"spec":{"externalTrafficPolicy":"Local", "ipFamilies": ["IPv6"]}}`)
	for _, svc := range []struct {
		name string
		v4   bool
	}{{"nginx-ipv4", true}, {"nginx-ipv6", false}} {
		var ip netip.Addr
		eventually(t, time.Minute, svc.name+" has an external IP", func() error {
			out := strings.TrimSpace(l.kubectl("get", "services", svc.name, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"))
			a, err := netip.ParseAddr(out)
			if err != nil {
				return fmt.Errorf("EXTERNAL-IP %q", out)
			}
			ip = a
			return nil
		})
		if ip.Is4() != svc.v4 {
			t.Errorf("%s: external IP %s is of the wrong family", svc.name, ip)
		}
		url := "http://" + ip.String()
		if ip.Is6() {
			url = "http://[" + ip.String() + "]"
		}
		var page string
		eventually(t, 30*time.Second, "curl "+url+" from the internet", func() error {
			out, err := l.exec("internet", "curl", "-s", "-m", "3", url)
			page = out
			if err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			return nil
		})
		if !strings.HasPrefix(page, "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>") {
			t.Errorf("curl -s %s | head -n5 from the internet:\n%s", url, page)
		}
	}
	t.Logf("kubectl get services\n%s", l.kubectl("get", "services"))
}
