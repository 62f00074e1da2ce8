package agent

import (
	"context"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

// A node without pods has no anti-spoofing table yet; the agent starts sweeping before
// the first pod, so that must be no error, and the agent leaves writing the table to the
// plugin.
func TestAntispoofSweepOfANodeWithoutTheTableFindsNothing(t *testing.T) {
	_, ns := dptest.NewNamespace(t, "sweep")
	start := time.Now()
	repaired, removed, err := sweepAntispoof(context.Background(), ns, t.TempDir())
	if err != nil || repaired || len(removed) != 0 {
		t.Fatalf("sweep of a node without pods and without table bridge dualnet-antispoof: wrote it %v, removed %v, %v; want nothing done, no error", repaired, removed, err)
	}
	t.Logf("a sweep that finds no table took %s", time.Since(start))
}
