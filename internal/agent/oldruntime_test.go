package agent_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// A runtime on libcni before 1.2 (containerd 1.7) knows no "cniVersions": it reads the
// agent's conflist as cniVersion 1.0.0, the newest result version it can parse. dualnet and
// portmap both answer it in 1.0.0, and the pod gets its addresses and its hostPort.
func TestConflistServesARuntimeThatReadsOnlyCNIVersion(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	n := c.Nodes[0]
	var conflist map[string]any
	if err := json.Unmarshal(n.Conflist(t), &conflist); err != nil {
		t.Fatal(err)
	}
	delete(conflist, "cniVersions") // what an older libcni never reads
	old, err := json.Marshal(conflist)
	if err != nil {
		t.Fatal(err)
	}
	drv, err := cnitest.NewDriver(n.AgentConfig.CNIBinDir, t.TempDir(), old)
	if err != nil {
		t.Fatal(err)
	}
	if drv.List.CNIVersion != "1.0.0" {
		t.Fatalf("an older runtime reads cniVersion %s, want 1.0.0", drv.List.CNIVersion)
	}
	podNS, err := cnitest.NewPodNS("old")
	if err != nil {
		t.Fatal(err)
	}
	rt := cnitest.Runtime(podNS.Name, podNS.Path, "eth0")
	rt.CapabilityArgs = map[string]any{"portMappings": []agenttest.PortMapping{{HostPort: 8081, ContainerPort: 80, Protocol: "tcp"}}}
	t.Cleanup(func() {
		if err := n.Host.NS.Do(func() error { return drv.Del(context.Background(), rt) }); err != nil {
			t.Errorf("CNI DEL at 1.0.0: %v", err)
		}
		if err := podNS.Delete(); err != nil {
			t.Errorf("delete pod namespace: %v", err)
		}
	})
	err = n.Host.NS.Do(func() error {
		res, err := drv.Add(context.Background(), rt)
		if err == nil && res.Version() != "1.0.0" {
			t.Errorf("ADD result of version %s, want 1.0.0", res.Version())
		}
		return err
	})
	if err != nil {
		t.Fatalf("CNI ADD at 1.0.0: %v", err)
	}
	dptest.ServePeerAddress(t, nodens.At(podNS.Path), 80)
	for _, tc := range [][2]netip.Addr{{n.Host.IPv4, c.VNetHost.IPv4}, {n.Host.IPv6, c.VNetHost.IPv6}} {
		if got := seenThrough(t, c.VNetHost.NS, tc[0], 8081); got != tc[1] {
			t.Errorf("vnet-host -> node %s:8081: the pod saw %s, want %s", tc[0], got, tc[1])
		}
	}
}
