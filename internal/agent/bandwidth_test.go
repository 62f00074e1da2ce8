package agent_test

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/dataplane/nodens"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// stream is a TCP stream sent as fast as the path lets it, between two namespaces.
type stream struct {
	rcv, snd net.Conn
	buf      []byte
}

// openStream starts a stream from one namespace to addr (in another), until close. A stream
// left running would fill the tbf queue, and the next stream's packets would wait there.
func openStream(t *testing.T, from, to nodens.Namespace, addr netip.Addr) *stream {
	t.Helper()
	var ln net.Listener
	if err := to.Do(func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
		return err
	}); err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	defer ln.Close()
	s := &stream{buf: make([]byte, 64<<10)}
	if err := from.Do(func() (err error) {
		s.snd, err = net.DialTimeout("tcp", ln.Addr().String(), 3*time.Second)
		return err
	}); err != nil {
		t.Fatalf("connect to %s: %v", ln.Addr(), err)
	}
	// A small send buffer keeps what the sender has in flight, and so what a closed stream
	// leaves in the tbf queue ahead of the next stream's handshake, to a tenth of a second
	// at the limit.
	if err := s.snd.(*net.TCPConn).SetWriteBuffer(128 << 10); err != nil {
		t.Fatal(err)
	}
	var err error
	if s.rcv, err = ln.Accept(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, err := s.snd.Write(buf); err != nil {
				return // closed by the test's cleanup
			}
		}
	}()
	return s
}

func (s *stream) close() {
	s.snd.Close()
	s.rcv.Close()
}

// rate reads the stream for d and returns what arrived, in bits per second.
func (s *stream) rate(t *testing.T, d time.Duration) float64 {
	t.Helper()
	start := time.Now()
	s.rcv.SetReadDeadline(start.Add(d))
	var got int64
	for {
		n, err := s.rcv.Read(s.buf)
		got += int64(n)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				break
			}
			t.Fatalf("read the stream: %v", err)
		}
	}
	return float64(got*8) / time.Since(start).Seconds()
}

// shapedRate measures a stream that a limit shapes, once the limit holds: tbf starts with a
// full bucket, and containerd asks for a burst of math.MaxUint32 bits, so the stream's first
// ~190 MB pass at the veth's speed (the bandwidth plugin turns that burst into a bucket of
// ~155 s at the rate, wrapped around in 32-bit ticks). The warm-up waits for the bucket to
// empty, then the window measures.
func shapedRate(t *testing.T, from, to nodens.Namespace, addr netip.Addr, limit float64) float64 {
	t.Helper()
	s := openStream(t, from, to, addr)
	defer s.close()
	poll.Eventually(t, 8*time.Second, fmt.Sprintf("stream to %s at most twice the limit", addr), func() error {
		if r := s.rate(t, 200*time.Millisecond); r > 2*limit {
			return fmt.Errorf("rate %v, limit %v", r, limit)
		}
		return nil
	})
	return s.rate(t, time.Second)
}

// shapingLeft lists the bandwidth plugin's leftovers in the node's namespace: ifb devices,
// and tbf or ingress qdiscs on any link.
func shapingLeft(t *testing.T, n *agenttest.Node) []string {
	t.Helper()
	nl, err := dptest.Netlink(t, n.Host.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	links, err := nl.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, l := range links {
		if l.Type() == "ifb" {
			left = append(left, "ifb device "+l.Attrs().Name)
		}
	}
	qdiscs, err := nl.QdiscList(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qdiscs {
		if q.Type() == "tbf" || q.Type() == "ingress" {
			left = append(left, fmt.Sprintf("%s qdisc on link %d", q.Type(), q.Attrs().LinkIndex))
		}
	}
	return left
}

// A pod with kubernetes.io/ingress-bandwidth and egress-bandwidth of 10M, made through libcni
// with the conflist the agent wrote (dualnet, then the bandwidth plugin the agent installed)
// and the capability as containerd passes it, receives and sends at about 10 Mbit/s in both
// families, far below an unshaped pod of the same node; CNI DEL leaves no ifb device and no
// qdisc in the node's namespace.
func TestBandwidthAnnotationsShapeThePodBothWaysInBothFamiliesUntilDEL(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	n := c.Nodes[0]
	n.WaitConflist(t, "conflist chaining bandwidth", chains(cniconfig.Bandwidth))
	if left := shapingLeft(t, n); len(left) > 0 {
		t.Fatalf("the node's namespace has shaping before any pod: %v", left)
	}
	const limit = 10_000_000 // "10M", in bits per second
	shaped := n.AddPodWithBandwidth(t, agenttest.Bandwidth{
		IngressRate: limit, IngressBurst: math.MaxUint32, EgressRate: limit, EgressBurst: math.MaxUint32,
	})
	peer := n.AddPod(t)
	other := n.AddPod(t)
	shapedNS, peerNS, otherNS := nodens.At(shaped.NS.Path), nodens.At(peer.NS.Path), nodens.At(other.NS.Path)

	for i, family := range []string{"IPv4", "IPv6"} {
		s := openStream(t, otherNS, peerNS, peer.IPs[i])
		unshaped := s.rate(t, 300*time.Millisecond)
		s.close()
		for _, dir := range []struct {
			name     string
			from, to nodens.Namespace
			addr     netip.Addr
		}{
			{"ingress", peerNS, shapedNS, shaped.IPs[i]},
			{"egress", shapedNS, peerNS, peer.IPs[i]},
		} {
			got := shapedRate(t, dir.from, dir.to, dir.addr, limit)
			t.Logf("%s %s: %.1f Mbit/s shaped to 10 Mbit/s; an unshaped pod: %.0f Mbit/s", family, dir.name, got/1e6, unshaped/1e6)
			if got < limit/2 || got > 2*limit {
				t.Errorf("%s %s: %.1f Mbit/s, want within [5, 20] Mbit/s of the 10 Mbit/s limit", family, dir.name, got/1e6)
			}
			if unshaped < 10*got {
				t.Errorf("%s %s: %.1f Mbit/s shaped against %.1f Mbit/s unshaped: want the unshaped pod at least ten times faster", family, dir.name, got/1e6, unshaped/1e6)
			}
		}
	}

	if err := shaped.Del(); err != nil {
		t.Fatalf("CNI DEL: %v", err)
	}
	if left := shapingLeft(t, n); len(left) > 0 {
		t.Errorf("left in the node's namespace after CNI DEL: %v", left)
	}
}

// A copy of bandwidth installed before still serves when its source is gone; without one,
// the agent writes the conflist without bandwidth (one naming a missing plugin would fail
// every ADD), pods start, and the Node gets a Warning naming the flag and the path.
func TestMissingBandwidthPluginLeavesItOutOfTheConflistAndWarns(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	n := c.Nodes[0]
	n.StopAgent()
	missing := filepath.Join(t.TempDir(), "bandwidth")
	n.AgentConfig.CNIBandwidthPlugin = missing
	n.Start(t)
	n.WaitReady(t)
	n.WaitConflist(t, "conflist still chaining the bandwidth plugin installed before", chains(cniconfig.Bandwidth))

	n.StopAgent()
	startWithoutPlugin(t, n, cniconfig.Bandwidth, missing, "BandwidthUnsupported")
}

// The bandwidth plugin implements neither GC nor STATUS, which the conflist's 1.1.0 lets a
// runtime call through the whole chain (containerd 2 asks STATUS for the node's network
// readiness): upstream's skel answers both as done, so neither fails because of it, and the
// pod the runtime still holds keeps its shaping.
func TestStatusAndGCPassThroughTheBandwidthPlugin(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	n := c.Nodes[0]
	n.WaitConflist(t, "conflist chaining bandwidth", chains(cniconfig.Bandwidth))
	shaped := n.AddPodWithBandwidth(t, agenttest.Bandwidth{EgressRate: 10_000_000, EgressBurst: math.MaxUint32})
	drv, err := cnitest.NewDriver(n.AgentConfig.CNIBinDir, t.TempDir(), n.Conflist(t))
	if err != nil {
		t.Fatal(err)
	}
	err = n.Host.NS.Do(func() error {
		if err := drv.Status(context.Background()); err != nil {
			return fmt.Errorf("STATUS: %w", err)
		}
		valid := []types.GCAttachment{{ContainerID: shaped.ContainerID, IfName: "eth0"}}
		if err := drv.GC(context.Background(), valid); err != nil {
			return fmt.Errorf("GC: %w", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if left := shapingLeft(t, n); len(left) != 3 {
		t.Errorf("the pod's shaping after GC: %v; want its ifb device, the ingress qdisc on its host veth and the tbf on the ifb", left)
	}
}
