package cni_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
)

func TestShippedPluginIgnoresTheCrashTestsPauseArgs(t *testing.T) {
	nw := newNetwork(t) // the plugin as `go build` makes it, without test hooks
	sandbox := newSandbox(t)
	file := filepath.Join(t.TempDir(), "paused")
	rt := cnitest.Runtime("pause-ignored", sandbox.Path, "eth0",
		[2]string{"DUALNET_TEST_PAUSE_AT", "allocated"}, [2]string{"DUALNET_TEST_PAUSE_FILE", file})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := nw.drv.Add(ctx, rt); err != nil {
		t.Fatalf("ADD with the pause args: %v (a shipped plugin must not pause)", err)
	}
	t.Cleanup(func() { _ = nw.drv.Del(context.Background(), rt) })
	if _, err := os.Stat(file); err == nil {
		t.Error("the shipped plugin reached its pause point and wrote the pause file")
	}
}
