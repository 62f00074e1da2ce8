package agent

import (
	"context"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

// A node without pods has no anti-spoofing table yet; the agent starts sweeping before
// the first pod, so that must be no error.
func TestAntispoofSweepOfANodeWithoutTheTableFindsNothing(t *testing.T) {
	_, ns := dptest.NewNamespace(t, "sweep")
	start := time.Now()
	removed, err := sweepAntispoof(context.Background(), ns)
	if err != nil || len(removed) != 0 {
		t.Fatalf("sweep of a node without table bridge dualnet-antispoof: removed %v, %v; want nothing, no error", removed, err)
	}
	t.Logf("a sweep that finds no table took %s", time.Since(start))
}
