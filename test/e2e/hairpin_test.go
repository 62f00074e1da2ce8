//go:build e2e

package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// hairpinObjects: one backend pod pinned to a node, serving nginx's page on :80 and (agnhost
// netexec) the address it sees a caller from on :8080; a RequireDualStack ClusterIP Service
// whose only endpoint it is; a client pod on the same node and one on another node.
const hairpinObjects = `apiVersion: v1
kind: Pod
metadata:
  name: hairpin-backend
  labels: {app: hairpin-backend}
spec:
  nodeName: %[1]s
  containers:
  - {name: nginx, image: "nginx:latest"}
  - {name: clientip, image: "registry.k8s.io/e2e-test-images/agnhost:2.66.1", args: [netexec, --http-port=8080]}
---
apiVersion: v1
kind: Service
metadata:
  name: hairpin
spec:
  ipFamilyPolicy: RequireDualStack
  selector: {app: hairpin-backend}
  ports:
  - {name: web, port: 80}
  - {name: clientip, port: 8080}
---
apiVersion: v1
kind: Pod
metadata:
  name: hairpin-client-near
  labels: {app: hairpin-client}
spec:
  nodeName: %[1]s
  containers:
  - {name: sleep, image: busybox, args: [sleep, "3600"]}
---
apiVersion: v1
kind: Pod
metadata:
  name: hairpin-client-far
  labels: {app: hairpin-client}
spec:
  nodeName: %[2]s
  containers:
  - {name: sleep, image: busybox, args: [sleep, "3600"]}
`

// checkHairpinAndSameNodeService forces the two ways a bridged pod network classically breaks
// Services, over both ClusterIPs of a RequireDualStack Service whose only endpoint is one pod:
//
//   - hairpin: the backend reaches itself through the ClusterIP. With bridge netfilter on, the
//     node's DNAT runs while the packet is still in the bridge, and br_netfilter bridges a
//     packet DNATed to a port of the same bridge straight back out of the port it came in by
//     ("bridged DNAT"), which only hairpin mode on the pod's veth allows. Turned off by hand
//     on a lab node, both families' requests time out here;
//   - same node: a client on the backend's bridge reaches it through the ClusterIP. The reply
//     is bridged straight back to the client, so only bridge netfilter
//     (bridge-nf-call-ip(6)tables in the node's namespace) lets conntrack restore the
//     ClusterIP as its source. Turned off by hand, both families' requests time out here.
//
// A client on another node is the contrast (it worked in both experiments): its reply is
// routed back through the backend's node, where the un-NAT happens anyway.
func (l *testLab) checkHairpinAndSameNodeService() {
	t := l.t
	nodes := strings.Fields(l.kubectl("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"))
	if len(nodes) < 2 {
		t.Fatalf("nodes %v: want two or more, for a client on another node than the backend", nodes)
	}
	node, farNode := nodes[0], nodes[1]
	gateways := nodeGateways(l, node)

	start := time.Now()
	manifest := filepath.Join(t.TempDir(), "hairpin.yaml")
	if err := os.WriteFile(manifest, []byte(fmt.Sprintf(hairpinObjects, node, farNode)), 0o600); err != nil {
		t.Fatal(err)
	}
	l.kubectl("apply", "-f", manifest)
	l.kubectl("wait", "--for=condition=Ready", "pod", "hairpin-backend", "hairpin-client-near", "hairpin-client-far", "--timeout=25s")
	ips := serviceClusterIPs(l, "hairpin")
	podIP := func(pod string) []netip.Addr {
		return parseAddrs(t, strings.Join(strings.Fields(l.kubectl("get", "pod", pod, "-o", "jsonpath={.status.podIPs[*].ip}")), ","))
	}
	backendIPs, nearIPs, farIPs := podIP("hairpin-backend"), podIP("hairpin-client-near"), podIP("hairpin-client-far")
	ready := time.Since(start)

	clients := []struct {
		pod, what string
		own       []netip.Addr
		// seen is the source address the backend must see from this client, per family.
		seen []netip.Addr
	}{
		// kube-proxy marks a connection from an endpoint to itself for masquerade (its
		// endpoint chain's "ip saddr <endpoint> jump mark-for-masquerade"), as the reply
		// would otherwise go from the pod to itself without the un-DNAT. It masquerades to
		// the address of the interface the packet leaves by: cbr0's, the node's gateway.
		{"hairpin-backend", "hairpin (the backend through its own Service)", backendIPs, gateways},
		// Pod to ClusterIP is not masqueraded (kube-proxy's --cluster-cidr makes it pod
		// traffic), so the backend sees the client pod itself, on the same node or not.
		{"hairpin-client-near", "a client on the backend's node", nearIPs, nearIPs},
		{"hairpin-client-far", "a client on " + farNode, farIPs, farIPs},
	}
	const requests = 5
	measure := time.Now()
	for _, c := range clients {
		for i, ip := range ips {
			web := "http://" + hostPort(ip, 80) + "/"
			eventually(t, 30*time.Second, fmt.Sprintf("%s (pod %s): %d requests in a row for %s answered by hairpin-backend's nginx", c.what, c.pod, requests, web), func() error {
				for n := 0; n < requests; n++ {
					page, err := l.exec("default/"+c.pod, "curl", "-sS", "-m", "3", web)
					if err != nil || !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, "<title>Welcome to nginx!</title>") {
						return fmt.Errorf("request %d: %v: %s", n+1, err, page)
					}
					// The pod's other container (agnhost netexec) names the pod that answered.
					name, err := l.exec("default/"+c.pod, "curl", "-sS", "-m", "3", "http://"+hostPort(ip, 8080)+"/hostname")
					if err != nil || strings.TrimSpace(name) != "hairpin-backend" {
						return fmt.Errorf("request %d: /hostname answered %q (%v), want hairpin-backend", n+1, name, err)
					}
				}
				return nil
			})
			clientip := "http://" + hostPort(ip, 8080) + "/clientip"
			out, err := l.exec("default/"+c.pod, "curl", "-sS", "-m", "3", clientip)
			seen, perr := netip.ParseAddrPort(strings.TrimSpace(out))
			if err != nil || perr != nil || seen.Addr().Unmap() != c.seen[i] {
				t.Errorf("%s (pod %s %v, backend %v on %s): %s saw the caller as %q (%v), want %s", c.what, c.pod, c.own, backendIPs, node, clientip, strings.TrimSpace(out), err, c.seen[i])
			} else {
				t.Logf("%s: the backend saw %s through %s", c.what, seen.Addr(), ip)
			}
		}
	}
	t.Logf("MEASURED: hairpin Service objects Ready in %.1fs; %d callers x %d ClusterIPs x (%d page requests + 1 clientip) in %.1fs",
		ready.Seconds(), len(clients), len(ips), requests, time.Since(measure).Seconds())
	l.kubectl("delete", "-f", manifest, "--wait=true", "--grace-period=1") // busybox sleep ignores SIGTERM as PID 1
	t.Logf("MEASURED: hairpin check %.1fs in all", time.Since(start).Seconds())
}

// nodeGateways are the node's bridge addresses, IPv4 first: the first address of each of its
// pod CIDRs (.1 and ::1 on cbr0).
func nodeGateways(l *testLab, node string) []netip.Addr {
	out := strings.TrimSpace(l.kubectl("get", "node", node, "-o", "jsonpath={.spec.podCIDRs[*]}"))
	var gws []netip.Addr
	for _, f := range strings.Fields(out) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			l.t.Fatalf("node %s pod CIDRs %q: %v", node, out, err)
		}
		gws = append(gws, p.Masked().Addr().Next())
	}
	if len(gws) != 2 || !gws[0].Is4() || !gws[1].Is6() {
		l.t.Fatalf("node %s pod CIDRs %q: want an IPv4 and an IPv6 CIDR, IPv4 first", node, out)
	}
	return gws
}

// serviceClusterIPs are a dual-stack Service's ClusterIPs, IPv4 first.
func serviceClusterIPs(l *testLab, name string) []netip.Addr {
	out := strings.TrimSpace(l.kubectl("get", "svc", name, "-o", "jsonpath={.spec.clusterIPs[*]}"))
	var ips []netip.Addr
	for _, f := range strings.Fields(out) {
		ip, err := netip.ParseAddr(f)
		if err != nil {
			l.t.Fatalf("%s clusterIPs %q: %v", name, out, err)
		}
		ips = append(ips, ip)
	}
	if len(ips) != 2 || !ips[0].Is4() || !ips[1].Is6() {
		l.t.Fatalf("%s clusterIPs %q: want an IPv4 and an IPv6 ClusterIP, IPv4 first", name, out)
	}
	return ips
}
