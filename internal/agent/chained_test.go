package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
)

// chains accepts a conflist that chains dualnet's copy of the plugin.
func chains(p cniconfig.Chained) func(conflist string) error {
	return func(conflist string) error {
		if !strings.Contains(conflist, `"type": "`+p.Type+`"`) {
			return fmt.Errorf("no %s in the conflist:\n%s", p.Type, conflist)
		}
		return nil
	}
}

// startWithoutPlugin starts the node's stopped agent, whose flag for p names the file missing,
// on a node that never had p (the copy an earlier agent installed, which would still serve,
// is removed first). The agent writes the conflist without p, pods start, and the Node gets
// a Warning of reason naming the flag and the path.
func startWithoutPlugin(t *testing.T, n *agenttest.Node, p cniconfig.Chained, missing, reason string) {
	t.Helper()
	if err := os.Remove(filepath.Join(n.AgentConfig.CNIBinDir, p.Type)); err != nil {
		t.Fatal(err)
	}
	n.Start(t)
	n.WaitConflist(t, "conflist without "+p.Binary, func(conflist string) error {
		if strings.Contains(conflist, p.Binary) {
			return fmt.Errorf("still chains %s:\n%s", p.Binary, conflist)
		}
		return nil
	})
	n.AddPod(t)
	n.WaitWarning(t, reason, p.Flag+" "+missing)
}
