//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lifecycleUpFlags make the smallest lab: the lifecycle is the same for any size.
var lifecycleUpFlags = []string{"--nodes=1", "--routes=host"}

// newLifecycleLab is a lab under a name of its own for one lifecycle test, taken down at the
// end whatever happened.
func newLifecycleLab(t *testing.T, tag string) *testLab {
	l := &testLab{t: t, name: fmt.Sprintf("dn-e2e%s%d", tag, os.Getpid()), stateRoot: "/run/dualnet-lab"}
	t.Cleanup(func() {
		if l.name != "" && lifecycleLeftovers(l) != nil {
			l.down()
		}
	})
	return l
}

// up runs `lab up` of the smallest lab and returns its output.
func (l *testLab) up(timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return l.dualnet(ctx, l.labArgs("up", append([]string{"--bin-dir=" + binDir}, lifecycleUpFlags...)...)...)
}

// downAndCheck runs `lab down` and fails the test if it fails or anything of the lab is left.
func (l *testLab) downAndCheck(when string) {
	l.t.Helper()
	l.checkNothingLeft(when, l.downOnly(when))
}

// downOnly runs `lab down`, fails the test if it fails, and returns what it said.
func (l *testLab) downOnly(when string) string {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := l.dualnet(ctx, l.labArgs("down")...)
	if err != nil {
		l.t.Fatalf("%s: lab down: %v\n%s", when, err, out)
	}
	return out
}

// checkNothingLeft fails the test if anything of the lab is left after a down that said out.
func (l *testLab) checkNothingLeft(when, out string) {
	l.t.Helper()
	if left := lifecycleLeftovers(l); len(left) > 0 {
		l.t.Fatalf("%s: lab down left behind:\n  %s\nit said:\n%s", when, strings.Join(left, "\n  "), out)
	}
}

// lifecycleLeftovers is leftovers (processes, namespaces, mounts, the state directory) and the
// lab's lock file beside its directory.
func lifecycleLeftovers(l *testLab) []string {
	left := leftovers(l.name, filepath.Join(l.stateRoot, l.name))
	if _, err := os.Stat(filepath.Join(l.stateRoot, l.name+".lock")); err == nil {
		left = append(left, "lock file "+filepath.Join(l.stateRoot, l.name+".lock"))
	}
	return left
}

func TestLabLifecycleDownWhileUpStartsLeavesNothingAndUpWorksAfter(t *testing.T) {
	l := newLifecycleLab(t, "s")
	cmd := exec.Command(filepath.Join(binDir, "dualnet"), l.labArgs("up", append([]string{"--bin-dir=" + binDir}, lifecycleUpFlags...)...)...)
	var upOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &upOut, &upOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	upDone := make(chan struct{})
	var upErr error
	go func() { upErr = cmd.Wait(); close(upDone) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-upDone
	})
	// Mid-start, with the most to leave behind: the control plane and the registry run, the
	// node's machine is made (its mount namespace), its containerd and kubelet start.
	mnt := filepath.Join(l.nodeDir(l.name+"-node-0"), "ns", "mnt")
	eventually(t, 3*time.Minute, "lab up makes the node's mount namespace "+mnt, func() error {
		_, err := os.Stat(mnt)
		return err
	})
	down := l.downOnly("lab down while lab up starts")
	t.Logf("lab down while lab up started:\n%s", down)
	// lab up sees its supervisor gone and removes what it made (nothing): then nothing of the
	// lab may be left, lab up included.
	select {
	case <-upDone:
		t.Logf("lab up (taken down while it started): %v\n%s", upErr, upOut.String())
		if upErr == nil || !strings.Contains(upOut.String(), "was taken down (`dualnet lab down`) while it started") {
			t.Errorf("lab up should fail saying the lab was taken down while it started")
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("lab up still runs 2 minutes after lab down removed its lab:\n%s", upOut.String())
	}
	l.checkNothingLeft("lab down while lab up starts", down)
	if out, err := l.up(5 * time.Minute); err != nil {
		t.Fatalf("lab up after the interrupted one: %v%s\n--- lab up said:\n%s", err, upFailureLogs(t, out), out)
	}
	l.downAndCheck("lab down after the second lab up")
}

func TestLabLifecycleUpRefusesALabWhoseStateIsGoneAndDownStopsItsSupervisor(t *testing.T) {
	l := newLifecycleLab(t, "g")
	if out, err := l.up(5 * time.Minute); err != nil {
		t.Fatalf("lab up: %v%s\n--- lab up said:\n%s", err, upFailureLogs(t, out), out)
	}
	supervisor := l.processPID("supervisor")
	if err := os.Remove(filepath.Join(l.stateRoot, l.name, "state.json")); err != nil {
		t.Fatal(err)
	}
	out, err := l.up(time.Minute)
	if err == nil {
		t.Fatalf("lab up over a running lab whose state is gone succeeded:\n%s", out)
	}
	for _, want := range []string{fmt.Sprintf("its supervisor, pid %d", supervisor), "dualnet lab down --name " + l.name} {
		if !strings.Contains(out, want) {
			t.Errorf("lab up should refuse naming %q, said:\n%s", want, out)
		}
	}
	if syscall.Kill(supervisor, 0) != nil {
		t.Fatalf("the refused lab up stopped the running lab's supervisor (pid %d)", supervisor)
	}
	l.downAndCheck("lab down of a lab whose state is gone") // leftovers include the supervisor
}
