package controlplane

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

func TestLeftoversOfDeadOwnersAreRemovedAndLiveOnesKept(t *testing.T) {
	parent := t.TempDir()
	// A child that has exited and been reaped: its PID names no process.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead, live, unowned := filepath.Join(parent, dirPattern+"dead"), filepath.Join(parent, dirPattern+"live"), filepath.Join(parent, dirPattern+"noowner")
	otherNamespace := filepath.Join(parent, dirPattern+"otherns")
	for dir, owner := range map[string]string{dead: owner(cmd.Process.Pid), live: owner(os.Getpid()), unowned: ""} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A dead PID in another PID namespace may be a live process there.
	if err := os.Mkdir(otherNamespace, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(otherNamespace, ownerFile), []byte(strconv.Itoa(cmd.Process.Pid)+" pid:[1]"), 0o600); err != nil {
		t.Fatal(err)
	}
	removeLeftovers(parent)
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory of a dead owner still there (%v)", err)
	}
	for _, dir := range []string{live, unowned, otherNamespace} {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s was removed: %v", dir, err)
		}
	}
}
