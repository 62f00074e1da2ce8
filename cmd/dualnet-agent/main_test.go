package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

// TestBinaryServesReadinessMetricsAndCleansUpInANodeNamespace runs the real binary the way the lab
// does: Kubernetes client in the host namespace, dataplane in the node's namespace.
func TestBinaryServesReadinessMetricsAndCleansUpInANodeNamespace(t *testing.T) {
	dptest.RequireRoot(t)
	dir := t.TempDir()
	bin, plugin := filepath.Join(dir, "dualnet-agent"), filepath.Join(dir, "dualnet-cni")
	for out, pkg := range map[string]string{bin: "github.com/dualnet/dualnet/cmd/dualnet-agent", plugin: "github.com/dualnet/dualnet/cmd/dualnet-cni"} {
		if err := cnitest.Build(out, pkg); err != nil {
			t.Fatal(err)
		}
	}
	vnet := dptest.NewVNet(t)
	v4, v6 := agenttest.NodeAddrs(0)
	host := vnet.AddHost(t, "cmd", v4, v6)
	name := dptest.Name("cmd-")
	agenttest.CreateNode(t, name, netspec.Default().NodeCIDRs(3), v4, v6)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	healthAddr := ln.Addr().String()
	ln.Close()
	args := []string{
		"--node-name", name, "--kubeconfig", kubetest.KubeconfigPath(), "--netns", host.NS.Path(),
		"--cni-conf-dir", filepath.Join(dir, "net.d"), "--cni-bin-dir", filepath.Join(dir, "bin"),
		"--cni-plugin", plugin, "--cni-data-dir", filepath.Join(dir, "data"),
		"--health-addr", healthAddr, "--resync", "5s",
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("agent log:\n%s", logs.String())
		}
	})
	poll.Eventually(t, 60*time.Second, "/readyz 200", func() error {
		resp, err := http.Get("http://" + healthAddr + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	// The same listener serves the agent's metrics.
	resp, err := http.Get("http://" + healthAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(metrics), "\ndualnet_agent_ready 1\n") {
		t.Errorf("/metrics of a ready agent: %d %v, want 200 with dualnet_agent_ready 1:\n%s", resp.StatusCode, err, metrics)
	}
	gw := netip.MustParsePrefix("10.244.3.1/24").String()
	if out := dptest.InNS(t, host.Name, "ip", "addr", "show", cnicontract.DefaultBridge); !strings.Contains(out, gw) {
		t.Errorf("cbr0 lacks %s:\n%s", gw, out)
	}
	if out := dptest.InNS(t, host.Name, "nft", "list", "table", "inet", "dualnet"); !strings.Contains(out, "snat ip to "+v4.String()) {
		t.Errorf("no SNAT to %s:\n%s", v4, out)
	}

	cancel()
	cmd.Wait()
	cleanup := exec.Command(bin, append(args, "--cleanup")...)
	if out, err := cleanup.CombinedOutput(); err != nil {
		t.Fatalf("--cleanup: %v\n%s", err, out)
	}
	if out := dptest.InNS(t, host.Name, "nft", "list", "tables"); strings.Contains(out, "dualnet") {
		t.Errorf("table left after --cleanup: %s", out)
	}
}
