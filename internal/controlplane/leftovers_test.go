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
	dead, live, foreign := filepath.Join(parent, dirPattern+"dead"), filepath.Join(parent, dirPattern+"live"), filepath.Join(parent, dirPattern+"noowner")
	for dir, owner := range map[string]string{dead: strconv.Itoa(cmd.Process.Pid), live: strconv.Itoa(os.Getpid()), foreign: ""} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	removeLeftovers(parent)
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory of a dead owner still there (%v)", err)
	}
	for _, dir := range []string{live, foreign} {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s was removed: %v", dir, err)
		}
	}
}
