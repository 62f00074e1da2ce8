package main

import (
	"bytes"
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

// startPause starts pause with attr and waits until it handles SIGTERM (its SigCgt mask), so
// a signal sent after cannot hit Go's default action instead. The test kills it in cleanup.
func startPause(t *testing.T, bin string, attr *syscall.SysProcAttr) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Stderr = &stderr
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	err := poll.Until(5*time.Second, 10*time.Millisecond, func() error {
		caught, err := signalMask(cmd.Process.Pid, "SigCgt")
		if err != nil {
			return err
		}
		if caught&(1<<(syscall.SIGTERM-1)) == 0 {
			return fmt.Errorf("pid %d does not handle SIGTERM yet (SigCgt %#x)", cmd.Process.Pid, caught)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

// signalMask is one of the signal masks in /proc/<pid>/status.
func signalMask(pid int, field string) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// exitedWith waits for cmd and checks it exited by itself with code 0, saying why.
func exitedWith(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer, sig syscall.Signal) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after %v: %v (stderr %q), want exit 0", sig, err, stderr)
		}
		if want := "Shutting down, got signal: " + sig.String(); !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q, want %q", stderr, want)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("still running 5s after %v", sig)
	}
}

// SIGTERM (the runtime stopping a sandbox) and SIGINT end pause with status 0.
func TestPauseExitsZeroOnSIGTERMAndSIGINT(t *testing.T) {
	bin := pauseBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, stderr := startPause(t, bin, nil)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			exitedWith(t, cmd, stderr, sig)
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
	out, err := exec.Command("nsenter", "--target", strconv.Itoa(pid), "--pid", "--",
		"sh", "-c", "sleep 1 & exit 0").CombinedOutput()
	if err != nil {
		t.Fatalf("nsenter into pause's PID namespace: %v\n%s", err, out)
	}
	if err := poll.Until(time.Second, 10*time.Millisecond, func() error {
		if len(children(t, pid)) == 0 {
			return fmt.Errorf("pause (pid %d) has no child: the orphaned sleep was not reparented to it", pid)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := poll.Until(5*time.Second, 50*time.Millisecond, func() error {
		if kids := children(t, pid); len(kids) > 0 {
			return fmt.Errorf("pause (pid %d) still has children %v after sleep 1 ended", pid, kids)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	if strings.Contains(stderr.String(), "Warning") {
		t.Errorf("stderr %q: as PID 1 pause should not warn", stderr)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exitedWith(t, cmd, stderr, syscall.SIGTERM)
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
