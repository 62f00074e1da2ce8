package agent_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

func TestAgentReleasesThePodAddressesOfAnEarlierBootWhenItStarts(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	n := c.Nodes[0]
	var pods []*agenttest.Pod
	for range 2 {
		pods = append(pods, n.AddPod(t))
	}
	scrape(t, n.Agent).want(t, equals(2), "2", "dualnet_agent_pod_addresses_in_use", "family", "ipv4")
	n.StopAgent()

	// The reboot: the pods are gone, and the store was written in the earlier boot.
	for _, p := range pods {
		if err := p.NS.Delete(); err != nil {
			t.Fatal(err)
		}
	}
	poll.Eventually(t, 10*time.Second, "the pods' host veths gone with their namespaces", func() error {
		if out := dptest.InNS(t, n.Host.Name, "ip", "-o", "link", "show", "type", "veth"); strings.Contains(out, ": dn") {
			return fmt.Errorf("still there:\n%s", out)
		}
		return nil
	})
	boot := filepath.Join(cnicontract.StoreDir(n.AgentConfig.CNIDataDir, cnicontract.NetworkName), "boot")
	if err := os.WriteFile(boot, []byte("00000000-0000-4000-8000-000000000000\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// The anti-spoofing table still holds the old pods' elements (as a ruleset saved in the
	// earlier boot and loaded at boot would), by interface indexes this boot hands out again;
	// index 1 stands for one handed out already, with an old pod's MAC and address.
	for set, key := range map[string]string{"ports": "1", "macs": "1 . 02:ee:00:00:00:01", "ipv4": "1 . 02:ee:00:00:00:01 . 10.244.0.9"} {
		dptest.InNS(t, n.Host.Name, "nft", "add", "element", "bridge", antispoof.Table, set, "{ "+key+" }")
	}
	n.Start(t)
	poll.Eventually(t, 10*time.Second, "no pod address in use after the reboot, before any pod starts", func() error {
		m := scrape(t, n.Agent)
		for _, family := range []string{"ipv4", "ipv6"} {
			v, err := m.value("dualnet_agent_pod_addresses_in_use", "family", family)
			if err != nil {
				return err
			}
			if v != 0 {
				return fmt.Errorf("%s addresses in use: %v", family, v)
			}
		}
		return nil
	})
	// They go with the store's note of the earlier boot, and with no pod to protect, the
	// table stays away until the first ADD.
	poll.Eventually(t, 10*time.Second, "the anti-spoofing table of the earlier boot gone", func() error {
		out, err := exec.Command("ip", "netns", "exec", n.Host.Name, "nft", "list", "table", "bridge", antispoof.Table).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "No such file or directory") {
			return fmt.Errorf("nft list table: %v:\n%s", err, out)
		}
		return nil
	})
}
