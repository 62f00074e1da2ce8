//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
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

func TestLabUpWithACrashingAgentFailsWithItsLogKeepsTheLabsLogsAndLeavesNothingElse(t *testing.T) {
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
	// The agent runs from dualnet's image: an image whose agent fails at once, built as
	// make image builds it (static binaries only).
	agent := filepath.Join(bin, "dualnet-agent")
	os.Remove(agent)
	src := filepath.Join(t.TempDir(), "crash.go")
	crash := "package main\n\nimport \"os\"\n\nfunc main() {\n\tos.Stderr.WriteString(\"dualnet-agent: simulated failure: nft not found\\n\")\n\tos.Exit(1)\n}\n"
	if err := os.WriteFile(src, []byte(crash), 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", agent, src)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the crashing agent: %v\n%s", err, out)
	}
	tar := filepath.Join(bin, "dualnet-image.tar")
	os.Remove(tar)
	if out, err := exec.Command(filepath.Join(binDir, "dualnet-image"), "--bin-dir", bin, "--out", tar, "--tag", manifestImage()).CombinedOutput(); err != nil {
		t.Fatalf("dualnet-image with the crashing agent: %v\n%s", err, out)
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
	if !strings.Contains(out, "container dualnet-agent of pod kube-system/dualnet-agent-") || !strings.Contains(out, "restarted 3 times") ||
		!strings.Contains(out, "simulated failure: nft not found") {
		t.Errorf("lab up should name the crashing container and show its log")
	}
	if !strings.Contains(out, "nothing of it is left") {
		t.Errorf("lab up should say it removed what it made")
	}
	for _, left := range leftovers(l.name, filepath.Join(l.stateRoot, l.name)) {
		t.Errorf("failed lab up left %s behind", left)
	}
	// The logs its messages point at outlive the lab: the supervisor's and the node's kubelet's.
	kept := keptLogsDir(out)
	if kept == "" {
		t.Fatalf("lab up should say where it kept the lab's logs (%q)", keptLogsMark)
	}
	t.Cleanup(func() { os.RemoveAll(kept) })
	for _, name := range []string{"supervisor.log", "kubelet-" + l.name + "-node-0.log"} {
		if info, err := os.Stat(filepath.Join(kept, name)); err != nil || info.Size() == 0 {
			t.Errorf("the kept logs in %s should hold a non-empty %s (%v)", kept, name, err)
		}
	}
}
