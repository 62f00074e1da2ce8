//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLabUpWithoutDualnetBinariesFailsClearlyAndLeavesNothing(t *testing.T) {
	l := &testLab{t: t, name: fmt.Sprintf("dn-e2ef%d", os.Getpid()), stateRoot: "/run/dualnet-lab"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	empty := t.TempDir()
	out, err := l.dualnet(ctx, l.labArgs("up", "--bin-dir="+empty)...)
	if err == nil {
		l.down()
		t.Fatalf("lab up with no binaries in %s succeeded:\n%s", empty, out)
	}
	if !strings.Contains(out, filepath.Join(empty, "dualnet-controller")+" not found") || !strings.Contains(out, "make build") {
		t.Errorf("lab up should name the missing binary and `make build`, said:\n%s", out)
	}
	for _, left := range leftovers(l.name, filepath.Join(l.stateRoot, l.name)) {
		t.Errorf("failed lab up left %s behind", left)
	}
}

func TestLabDownWithNoLabSaysNothingIsLeft(t *testing.T) {
	l := &testLab{t: t, name: fmt.Sprintf("dn-e2en%d", os.Getpid()), stateRoot: "/run/dualnet-lab"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := l.dualnet(ctx, l.labArgs("down")...)
	if err != nil || !strings.Contains(out, "nothing to remove") {
		t.Errorf("lab down with no lab: %v\n%s", err, out)
	}
}

func TestLabUpWithACrashingAgentFailsWithItsLogAndLeavesNothing(t *testing.T) {
	l := &testLab{t: t, name: fmt.Sprintf("dn-e2ec%d", os.Getpid()), stateRoot: "/run/dualnet-lab"}
	bin := t.TempDir()
	entries, err := os.ReadDir(binDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Symlink(filepath.Join(binDir, e.Name()), filepath.Join(bin, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	agent := filepath.Join(bin, "dualnet-agent")
	os.Remove(agent)
	script := "#!/bin/sh\necho 'dualnet-agent: simulated failure: nft not found' >&2\nexit 1\n"
	if err := os.WriteFile(agent, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := l.dualnet(ctx, l.labArgs("up", "--bin-dir="+bin)...)
	if err == nil {
		l.down()
		t.Fatalf("lab up with a crashing agent succeeded:\n%s", out)
	}
	t.Logf("lab up failed after %.1fs:\n%s", time.Since(start).Seconds(), out)
	if !strings.Contains(out, "exited 3 times") || !strings.Contains(out, "simulated failure: nft not found") {
		t.Errorf("lab up should name the crashing component and show its log")
	}
	if !strings.Contains(out, "nothing of it is left") {
		t.Errorf("lab up should say it removed what it made")
	}
	for _, left := range leftovers(l.name, filepath.Join(l.stateRoot, l.name)) {
		t.Errorf("failed lab up left %s behind", left)
	}
}
