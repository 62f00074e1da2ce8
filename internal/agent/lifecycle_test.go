package agent_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"

	"github.com/dualnet/dualnet/internal/agent"
	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/testutil/stop"
)

func TestReadinessTurnsTrueOnceTheNodeHasItsDataplane(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	n := c.Nodes[0]
	if code := get(t, n.Agent.HealthHandler(), "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz of a ready agent = %d, want 200", code)
	}

	// A node without pod CIDRs yet: live, not ready.
	name := dptest.Name("bare-")
	v4, v6 := agenttest.NodeAddrs(5)
	agenttest.CreateNode(t, name, nil, v4, v6)
	cfg := n.AgentConfig
	cfg.NodeName = name
	cfg.CNIConfDir, cfg.CNIBinDir = t.TempDir(), t.TempDir()
	a, err := agent.New(cfg, kubetest.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if code := get(t, a.HealthHandler(), "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", code)
	}
	if code := get(t, a.HealthHandler(), "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz of a node without pod CIDRs = %d, want 503", code)
	}
	if _, err := os.Stat(cniconfig.ConfigPath(cfg.CNIConfDir)); !os.IsNotExist(err) {
		t.Errorf("CNI config written before the node has pod CIDRs: %v", err)
	}
}

func TestCleanupRemovesEverythingTheAgentCreated(t *testing.T) {
	c := agenttest.NewCluster(t, 2)
	n := c.Nodes[0]
	n.StopAgent()
	// The CNI plugin's anti-spoofing table, as the node's first pod leaves it.
	pod := antispoof.Pod{Index: 1<<31 - 1, MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, Addrs: []netip.Addr{n.PodCIDRs[0].Addr().Next().Next()}}
	noPods := func() ([]antispoof.Pod, error) { return nil, nil }
	if err := n.Host.NS.Do(func() error { return antispoof.Install(context.Background(), pod, noPods) }); err != nil {
		t.Fatal(err)
	}
	if err := agent.Cleanup(context.Background(), n.AgentConfig); err != nil {
		t.Fatal(err)
	}
	if out := dptest.InNS(t, n.Host.Name, "nft", "list", "tables"); strings.Contains(out, "dualnet") {
		t.Errorf("nftables table left: %s", out)
	}
	if routes := dptest.InNS(t, n.Host.Name, "ip", "route", "show", "proto", "211") + dptest.InNS(t, n.Host.Name, "ip", "-6", "route", "show", "proto", "211"); routes != "" {
		t.Errorf("routes left:\n%s", routes)
	}
	if out := dptest.InNS(t, n.Host.Name, "ip", "link", "show"); strings.Contains(out, "cbr0") {
		t.Errorf("bridge left:\n%s", out)
	}
	for _, p := range []string{cniconfig.ConfigPath(n.AgentConfig.CNIConfDir), n.AgentConfig.CNIBinDir + "/dualnet"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left: %v", p, err)
		}
	}
	if err := agent.Cleanup(context.Background(), n.AgentConfig); err != nil {
		t.Errorf("second cleanup: %v", err)
	}
}

func TestCleanupLeavesABridgeDualnetDidNotCreateAndSaysWhy(t *testing.T) {
	name, ns := dptest.NewNamespace(t, "clean")
	// What a host whose own bridge is named like --bridge looks like: not marked as dualnet's.
	dptest.InNS(t, name, "ip", "link", "add", "cbr0", "type", "bridge")
	dptest.InNS(t, name, "ip", "addr", "add", "192.168.50.10/24", "dev", "cbr0")
	cfg := agent.Config{NodeName: "n", Bridge: "cbr0", Namespace: ns, CNIConfDir: t.TempDir(), CNIBinDir: t.TempDir()}
	logger := ktesting.NewLogger(t, ktesting.NewConfig(ktesting.BufferLogs(true)))
	if err := agent.Cleanup(klog.NewContext(context.Background(), logger), cfg); err != nil {
		t.Fatalf("Cleanup with a foreign cbr0: %v", err)
	}
	if out := dptest.InNS(t, name, "ip", "addr", "show", "dev", "cbr0"); !strings.Contains(out, "192.168.50.10/24") {
		t.Errorf("the foreign cbr0 was deleted or changed:\n%s", out)
	}
	logs := logger.GetSink().(ktesting.Underlier).GetBuffer().String()
	if !strings.Contains(logs, "dualnet did not create it") || !strings.Contains(logs, "cbr0") {
		t.Errorf("Cleanup did not log why it left cbr0; log:\n%s", logs)
	}
}

func TestConfigValidateNamesTheFlag(t *testing.T) {
	cfg := agent.Config{NodeName: "n", Spec: netspec.Default(), Routes: "bgp", CNIConfDir: "/a", CNIBinDir: "/b", Bridge: "cbr0", Resync: time.Second}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--routes") {
		t.Errorf("Validate = %v, want an error naming --routes", err)
	}
	cfg.Routes, cfg.CNIDataDir = agent.HostRoutes, "var/lib/dualnet/cni"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `--cni-data-dir="var/lib/dualnet/cni"`) {
		t.Errorf("Validate = %v, want an error naming --cni-data-dir and its relative value", err)
	}
}

func get(t *testing.T, h http.Handler, path string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code
}

func TestAStopWhileTheAgentStartsIsACleanStop(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	n := c.Nodes[0]
	n.StopAgent()
	a, err := agent.New(n.AgentConfig, kubetest.Client())
	if err != nil {
		t.Fatal(err)
	}
	stop.WhileStartingIsClean(t, a.Run)
}
