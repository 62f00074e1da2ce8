package lbprobe_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/dataplane/lbprobe"
	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// probeLab is a node on a virtual network with a pod behind it, and the vnet's router, which
// sends probes as Azure's load balancer does: from 168.63.129.16 and fe80::1234:5678:9abc. A
// DNAT rule in the node plays kube-proxy's NodePort of an externalTrafficPolicy: Cluster
// Service whose endpoint is the pod; another, remoteNodePort, one whose endpoint is on
// another machine of the virtual network (the router's global address stands for it), which
// kube-proxy masquerades.
type probeLab struct {
	router, node dptest.Host
	pod          nodens.Namespace
	podIPs       []netip.Addr
}

const (
	nodePort       = 30080
	remoteNodePort = 30081
)

var (
	probeSourceIPv4 = netip.MustParseAddr("168.63.129.16")
	gateways        = []string{"10.240.0.1", "2001:db8:5678:9abc::1"}
)

func newProbeLab(t *testing.T) probeLab {
	vnet := dptest.NewVNet(t)
	router := vnet.AddHost(t, "rt", netip.MustParseAddr(gateways[0]), netip.MustParseAddr(gateways[1]))
	node := vnet.AddHost(t, "node", netip.MustParseAddr("10.240.0.4"), netip.MustParseAddr("2001:db8:5678:9abc::4"))
	podName, pod := dptest.NewNamespace(t, "pod")
	l := probeLab{router: router, node: node, pod: pod,
		podIPs: []netip.Addr{netip.MustParseAddr("10.244.0.2"), netip.MustParseAddr("fd12:3456:789a::2")}}

	dptest.Run(t, "ip", "-n", router.Name, "addr", "add", probeSourceIPv4.String()+"/32", "dev", "eth0")
	dptest.Run(t, "ip", "-n", router.Name, "addr", "add", lbprobe.ProbeSource.String()+"/64", "dev", "eth0", "nodad")
	for _, gw := range gateways {
		dptest.Run(t, "ip", "-n", node.Name, "route", "add", "default", "via", gw)
	}
	for _, key := range []string{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"} {
		dptest.InNS(t, node.Name, "sysctl", "-qw", key+"=1")
	}
	dptest.Run(t, "ip", "-n", node.Name, "link", "add", "veth-pod", "type", "veth", "peer", "name", "eth0", "netns", podName)
	dptest.Run(t, "ip", "-n", node.Name, "addr", "add", "10.244.0.1/24", "dev", "veth-pod")
	dptest.Run(t, "ip", "-n", node.Name, "addr", "add", "fd12:3456:789a::1/64", "dev", "veth-pod", "nodad")
	dptest.Run(t, "ip", "-n", node.Name, "link", "set", "veth-pod", "up")
	dptest.Run(t, "ip", "-n", podName, "addr", "add", "10.244.0.2/24", "dev", "eth0")
	dptest.Run(t, "ip", "-n", podName, "addr", "add", "fd12:3456:789a::2/64", "dev", "eth0", "nodad")
	dptest.Run(t, "ip", "-n", podName, "link", "set", "eth0", "up")
	dptest.Run(t, "ip", "-n", podName, "route", "add", "default", "via", "10.244.0.1")
	dptest.Run(t, "ip", "-n", podName, "route", "add", "default", "via", "fd12:3456:789a::1")
	dptest.InNS(t, node.Name, "nft", fmt.Sprintf(`table inet kube-proxy-stand-in {
		chain nodeports { type nat hook prerouting priority dstnat;
			ip daddr %s tcp dport %d dnat ip to %s:80
			ip6 daddr %s tcp dport %d dnat ip6 to [%s]:80
			ip6 daddr %s tcp dport %d dnat ip6 to [%s]:8081
		}
		chain postrouting { type nat hook postrouting priority srcnat;
			ip6 daddr %[9]s masquerade
		}
	}`, node.IPv4, nodePort, l.podIPs[0], node.IPv6, nodePort, l.podIPs[1], node.IPv6, remoteNodePort, gateways[1]))
	dptest.ServePeerAddress(t, pod, 80)
	dptest.ServePeerAddress(t, router.NS, 8081)
	return l
}

// probe connects from the router to the node's NodePort from the probe source of the family
// and says what the pod saw as the probe's source.
func (l probeLab) probe(ctx context.Context, family int) (netip.Addr, error) {
	return l.probePort(ctx, family, nodePort)
}

func (l probeLab) probePort(ctx context.Context, family, port int) (netip.Addr, error) {
	src := &net.TCPAddr{IP: probeSourceIPv4.AsSlice()}
	dst := l.node.IPv4
	if family == 6 {
		src, dst = &net.TCPAddr{IP: lbprobe.ProbeSource.AsSlice(), Zone: "eth0"}, l.node.IPv6
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var conn net.Conn
	err := l.router.NS.Do(func() error {
		var err error
		conn, err = (&net.Dialer{LocalAddr: src}).DialContext(ctx, "tcp", netip.AddrPortFrom(dst, uint16(port)).String())
		return err
	})
	if err != nil {
		return netip.Addr{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.0\r\n\r\n")
	buf := make([]byte, 4096)
	n, _ := conn.Read(buf)
	lines := strings.Split(strings.TrimSpace(string(buf[:n])), "\n")
	return netip.ParseAddr(strings.TrimSpace(lines[len(lines)-1]))
}

// TestNodeForwardsTheIPv6ProbeToAPodOnlyWithTheRewrite reproduces the article's limitation on
// a real kernel and removes it: a probe from fe80::1234:5678:9abc, DNATed to a pod on the
// node, is not forwarded (ip6_forward answers "beyond scope of source address"), while one
// DNATed to another machine on the same link is; with the table, the pod sees the global
// source 2603:1062:0:1:fe80:1234:5678:9abc and its answer reaches the prober; without the
// table again, it fails again. The IPv4 probe is forwarded all along.
func TestNodeForwardsTheIPv6ProbeToAPodOnlyWithTheRewrite(t *testing.T) {
	l := newProbeLab(t)
	ctx := t.Context()
	check := func(when string, wantIPv6 bool) {
		t.Helper()
		if seen, err := l.probe(ctx, 4); err != nil || seen != probeSourceIPv4 {
			t.Errorf("%s: IPv4 probe: pod saw %v (%v), want %s", when, seen, err, probeSourceIPv4)
		}
		seen, err := l.probe(ctx, 6)
		switch {
		case wantIPv6 && (err != nil || seen != lbprobe.GlobalSource):
			t.Errorf("%s: IPv6 probe: pod saw %v (%v), want %s", when, seen, err, lbprobe.GlobalSource)
		case !wantIPv6 && err == nil:
			t.Errorf("%s: IPv6 probe answered (pod saw %s); want it not forwarded", when, seen)
		case !wantIPv6:
			t.Logf("%s: IPv6 probe fails as on AKS without the rule: %v", when, err)
		}
	}
	check("no table", false)
	// Sent on to another machine by the link it came in on, the probe is forwarded all the
	// same: ip6_forward makes its link-local check only for a packet that changes links.
	if seen, err := l.probePort(ctx, 6, remoteNodePort); err != nil || seen != l.node.IPv6 {
		t.Errorf("no table: IPv6 probe to an endpoint on another machine: it saw %v (%v), want the node's masquerade %s", seen, err, l.node.IPv6)
	}

	changed, err := lbprobe.Sync(ctx, l.node.NS, "eth0", true)
	if err != nil || !changed {
		t.Fatalf("Sync(enabled) = %v, %v; want a change", changed, err)
	}
	t.Logf("nft list table ip6 %s:\n%s", lbprobe.TableName, dptest.InNS(t, l.node.Name, "nft", "list", "table", "ip6", lbprobe.TableName))
	check("with the table", true)
	if changed, err := lbprobe.Sync(ctx, l.node.NS, "eth0", true); err != nil || changed {
		t.Errorf("Sync again = %v, %v; want no change", changed, err)
	}
	if changed, err := lbprobe.Sync(ctx, l.node.NS, "eth1", true); err != nil || !changed {
		t.Errorf("Sync with another uplink = %v, %v; want a change", changed, err)
	}
	check("with the table for another uplink", false)

	if changed, err := lbprobe.Sync(ctx, l.node.NS, "eth0", false); err != nil || !changed {
		t.Fatalf("Sync(disabled) = %v, %v; want the table removed", changed, err)
	}
	if out := dptest.InNS(t, l.node.Name, "nft", "list", "tables"); strings.Contains(out, lbprobe.TableName) {
		t.Errorf("table still there after Sync(disabled):\n%s", out)
	}
	check("table removed", false)
	if changed, err := lbprobe.Sync(ctx, l.node.NS, "eth0", false); err != nil || changed {
		t.Errorf("Sync(disabled) again = %v, %v; want no change", changed, err)
	}
}

// TestRewriteLeavesNeighbourDiscoveryAndOtherTablesAlone: only TCP from the probe source on
// the uplink is rewritten; the router's neighbour discovery from the same address still
// works (the node can answer the router), and the node's other tables are untouched.
func TestRewriteLeavesNeighbourDiscoveryAndOtherTablesAlone(t *testing.T) {
	l := newProbeLab(t)
	before := dptest.InNS(t, l.node.Name, "nft", "list", "table", "inet", "kube-proxy-stand-in")
	if _, err := lbprobe.Sync(t.Context(), l.node.NS, "eth0", true); err != nil {
		t.Fatal(err)
	}
	dptest.Run(t, "ip", "-n", l.node.Name, "-6", "neigh", "flush", "dev", "eth0")
	dptest.InNS(t, l.router.Name, "ping", "-6", "-c1", "-W2", "-I", lbprobe.ProbeSource.String()+"%eth0", l.node.IPv6.String())
	if after := dptest.InNS(t, l.node.Name, "nft", "list", "table", "inet", "kube-proxy-stand-in"); after != before {
		t.Errorf("the node's other table changed:\n%s\nwas:\n%s", after, before)
	}
}

// The previous release wrote the rules with the interface name first; an upgraded agent
// writes them again, address first, because their comments changed with them.
func TestSyncRewritesTheRulesOfThePreviousRelease(t *testing.T) {
	l := newProbeLab(t)
	previous := filepath.Join(t.TempDir(), "previous.nft")
	err := os.WriteFile(previous, []byte(`table ip6 dualnet-lb-probe {
	comment "dualnet: Azure Load Balancer IPv6 health probes, as AKS nodes rewrite them"
	chain prerouting {
		type filter hook prerouting priority raw; policy accept;
		iifname "eth0" ip6 saddr fe80::1234:5678:9abc meta l4proto tcp ip6 saddr set 2603:1062:0:1:fe80:1234:5678:9abc comment "Azure LB IPv6 probe in on eth0: a global source, which may be forwarded to a pod"
	}
	chain postrouting {
		type filter hook postrouting priority raw; policy accept;
		oifname "eth0" ip6 daddr 2603:1062:0:1:fe80:1234:5678:9abc meta l4proto tcp ip6 daddr set fe80::1234:5678:9abc comment "Azure LB IPv6 probe answer out on eth0: back to the probe's own address"
	}
}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	dptest.InNS(t, l.node.Name, "nft", "-f", previous)

	if changed, err := lbprobe.Sync(t.Context(), l.node.NS, "eth0", true); err != nil || !changed {
		t.Fatalf("Sync over the previous release's table = %v, %v; want a change", changed, err)
	}
	table := dptest.InNS(t, l.node.Name, "nft", "list", "table", "ip6", lbprobe.TableName)
	for _, want := range []string{`ip6 saddr fe80::1234:5678:9abc iifname "eth0"`, `ip6 daddr 2603:1062:0:1:fe80:1234:5678:9abc oifname "eth0"`} {
		if !strings.Contains(table, want) {
			t.Errorf("after Sync, no rule starts %q:\n%s", want, table)
		}
	}
	if strings.Count(table, "meta l4proto tcp") != 2 {
		t.Errorf("after Sync, want exactly the two rules:\n%s", table)
	}
}
