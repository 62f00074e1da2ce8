// Package proc is test support for processes a test starts: starting one that the test's end
// kills, and stopping one with a signal it must exit 0 on. Only tests import it.
package proc

import (
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Stop sends sig to cmd's process and waits for it; the error says if it did not exit 0
// within the time given.
func Stop(cmd *exec.Cmd, sig syscall.Signal, within time.Duration) error {
	if err := cmd.Process.Signal(sig); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("after %v: %w, want exit 0", sig, err)
		}
		return nil
	case <-time.After(within):
		return fmt.Errorf("still running %s after %v", within, sig)
	}
}

// Start starts cmd, and kills it when the test ends if it still runs.
func Start(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
}
