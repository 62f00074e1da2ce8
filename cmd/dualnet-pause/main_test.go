package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
	"github.com/dualnet/dualnet/internal/testutil/proc"
	"github.com/dualnet/dualnet/internal/testutil/syncbuf"
)

// pauseBinary builds dualnet-pause as make build does (static) into the test's directory.
func pauseBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dualnet-pause")
	if err := cnitest.Build(bin, "github.com/dualnet/dualnet/cmd/dualnet-pause"); err != nil {
		t.Fatal(err)
	}
	return bin
}

// startPause starts pause with attr; the test kills it in cleanup.
func startPause(t *testing.T, bin string, attr *syscall.SysProcAttr) (*exec.Cmd, *syncbuf.Buffer) {
	t.Helper()
	var stderr syncbuf.Buffer
	cmd := exec.Command(bin)
	cmd.Stderr = &stderr
	cmd.SysProcAttr = attr
	proc.Start(t, cmd)
	return cmd, &stderr
}

// waitWarning waits for the warning pause prints, not being PID 1, once it handles signals:
// a signal sent before would meet Go's default action instead.
func waitWarning(t *testing.T, stderr *syncbuf.Buffer) {
	t.Helper()
	poll.Eventually(t, 5*time.Second, "pause's warning", func() error {
		if !strings.Contains(stderr.String(), "Warning: pause should be the first process") {
			return fmt.Errorf("pause printed %q, not its warning (yet)", stderr)
		}
		return nil
	})
}

// stop sends sig to pause, which must exit 0 at once, saying why.
func stop(t *testing.T, cmd *exec.Cmd, stderr *syncbuf.Buffer, sig syscall.Signal) {
	t.Helper()
	if err := proc.Stop(cmd, sig, 5*time.Second); err != nil {
		t.Errorf("%v (stderr %q)", err, stderr)
	}
	if want := "Shutting down, got signal: " + sig.String(); !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// SIGTERM (the runtime stopping a sandbox) and SIGINT end pause with status 0.
func TestPauseExitsZeroOnSIGTERMAndSIGINT(t *testing.T) {
	bin := pauseBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, stderr := startPause(t, bin, nil)
			waitWarning(t, stderr)
			stop(t, cmd, stderr, sig)
		})
	}
}

// As PID 1 of a PID namespace, pause inherits the orphans of the processes in it and reaps
// each when it exits: no zombie stays. Then SIGTERM still ends it with status 0.
func TestPauseAsPID1ReapsOrphans(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test makes a PID namespace: run it as root")
	}
	bin := pauseBinary(t)
	cmd, stderr := startPause(t, bin, &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID})
	pid := cmd.Process.Pid

	// sh runs in pause's PID namespace, starts sleep and exits: sleep is orphaned to pause.
	// (sleep must not hold nsenter's output pipe, or nsenter's caller waits for sleep.)
	out, err := exec.Command("nsenter", "--target", strconv.Itoa(pid), "--pid", "--",
		"sh", "-c", "sleep 60 >/dev/null 2>&1 & exit 0").CombinedOutput()
	if err != nil {
		t.Fatalf("nsenter into pause's PID namespace: %v\n%s", err, out)
	}
	var orphan []string
	poll.Eventually(t, 10*time.Second, "the orphaned sleep is pause's child", func() error {
		if orphan = children(t, pid); len(orphan) != 1 || !strings.Contains(orphan[0], "(sleep)") {
			return fmt.Errorf("pause (pid %d) has children %q, want the orphaned sleep", pid, orphan)
		}
		return nil
	})
	sleep, err := strconv.Atoi(strings.Fields(orphan[0])[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(sleep, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	poll.Eventually(t, 10*time.Second, "pause reaps the killed orphan", func() error {
		if kids := children(t, pid); len(kids) > 0 {
			return fmt.Errorf("pause (pid %d) still has children %q after sleep was killed", pid, kids)
		}
		return nil
	})
	if strings.Contains(stderr.String(), "Warning") {
		t.Errorf("stderr %q: as PID 1 pause should not warn", stderr)
	}
	stop(t, cmd, stderr, syscall.SIGTERM)
}

// children are "pid (comm) state" of pid's children, zombies included, over all its
// threads: an orphan is reparented to whichever thread of the reaper is alive.
func children(t *testing.T, pid int) []string {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("threads of pid %d: %v", pid, err)
	}
	var kids []string
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			continue // the thread ended
		}
		for _, kid := range strings.Fields(string(b)) {
			// "pid (comm) state ...": Z is a zombie.
			stat, _ := os.ReadFile("/proc/" + kid + "/stat")
			fields := strings.Fields(string(stat))
			kids = append(kids, strings.Join(fields[:min(3, len(fields))], " "))
		}
	}
	return kids
}
