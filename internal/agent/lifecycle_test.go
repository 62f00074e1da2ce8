package agent_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/agent"
	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/netspec"
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
	if err := agent.Cleanup(context.Background(), n.AgentConfig); err != nil {
		t.Fatal(err)
	}
	if out := dptest.InNS(t, n.Host.Name, "nft", "list", "tables"); strings.Contains(out, "inet dualnet") {
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

func TestConfigValidateNamesTheFlag(t *testing.T) {
	cfg := agent.Config{NodeName: "n", Spec: netspec.Default(), Routes: "bgp", CNIConfDir: "/a", CNIBinDir: "/b", Bridge: "cbr0", Resync: time.Second}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--routes") {
		t.Errorf("Validate = %v, want an error naming --routes", err)
	}
}

func get(t *testing.T, h http.Handler, path string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code
}
