package dataplane

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/dataplane/lbprobe"
	"github.com/dualnet/dualnet/internal/dataplane/masquerade"
)

// ablation is one step of taking dualnet's per-packet work off the nodes, to show what
// each part costs and what the topology alone (bridges, veths, routing) still costs. The
// steps add up: each one keeps the previous ones' removals. The product never runs like
// this; these rows only explain the figures of the real rows.
type ablation struct {
	name   string
	remove func(b *testing.B, node *agenttest.Node)
}

var ablations = []ablation{
	{"without anti-spoofing", func(b *testing.B, n *agenttest.Node) {
		dptest.InNS(b, n.Host.Name, "nft", "delete", "table", "bridge", antispoof.Table)
	}},
	{"and without the masquerade table (no conntrack)", func(b *testing.B, n *agenttest.Node) {
		dptest.InNS(b, n.Host.Name, "nft", "delete", "table", "inet", masquerade.TableName)
	}},
	// Two more base chains (raw prerouting and postrouting) every IPv6 packet passes, for the
	// rewrite of Azure's LB probes; AKS nodes have the same table, and so does the peer
	// (unless -peer-lb-probe=false), which keeps it in this step.
	{"and without the IPv6 LB probe table", func(b *testing.B, n *agenttest.Node) {
		dptest.InNS(b, n.Host.Name, "nft", "delete", "table", "ip6", lbprobe.TableName)
	}},
	{"and without bridge netfilter: the topology alone", func(b *testing.B, n *agenttest.Node) {
		setBridgeNetfilter(b, n.Host.Name, "0")
	}},
}

// stopAgentsForAblations stops the agents (their resync would repair every removal) and
// saves what the ablations remove, putting it back at cleanup, before the pods' CNI DEL
// (cleanups run last first) needs the anti-spoofing table.
func stopAgentsForAblations(b *testing.B, c *agenttest.Cluster) {
	for _, n := range c.Nodes {
		n.StopAgent()
		saved := filepath.Join(b.TempDir(), "ruleset.nft")
		ruleset := dptest.InNS(b, n.Host.Name, "nft", "list", "ruleset")
		if err := os.WriteFile(saved, []byte(ruleset), 0o644); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			dptest.InNS(b, n.Host.Name, "nft", "flush", "ruleset")
			dptest.InNS(b, n.Host.Name, "nft", "-f", saved)
			setBridgeNetfilter(b, n.Host.Name, "1")
		})
	}
}

// setBridgeNetfilter turns bridge netfilter (br_netfilter's calls into the IP hooks for
// bridged frames) on or off inside the named namespace.
func setBridgeNetfilter(b testing.TB, ns, value string) {
	dptest.InNS(b, ns, "sysctl", "-qw",
		"net.bridge.bridge-nf-call-iptables="+value,
		"net.bridge.bridge-nf-call-ip6tables="+value,
		"net.bridge.bridge-nf-call-arptables="+value)
}
