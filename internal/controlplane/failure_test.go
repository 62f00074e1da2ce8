package controlplane

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFailedStartShowsTheComponentLogAndLeavesNothing: a kube-apiserver that refuses its
// flags must fail Start with its own words, and etcd, already running, must be stopped.
func TestFailedStartShowsTheComponentLogAndLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	_, err := Start(context.Background(), Options{Dir: parent, APIServerFlags: []string{"--no-such-flag=1"}})
	if err == nil {
		t.Fatal("Start with an unknown kube-apiserver flag succeeded")
	}
	for _, want := range []string{"kube-apiserver", "exited", "unknown flag: --no-such-flag"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start error does not mention %q:\n%v", want, err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(parent, dirPattern+"*"))
	if len(left) != 0 {
		t.Errorf("failed Start left %v behind", left)
	}
	if pids := processesMentioning(parent); len(pids) != 0 {
		t.Errorf("failed Start left processes %v running with %s in their command line", pids, parent)
	}
	t.Logf("Start error:\n%v", err)
}

// processesMentioning lists the live processes whose command line contains s.
func processesMentioning(s string) []string {
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var pids []string
	for _, path := range cmdlines {
		data, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(data), s) {
			pids = append(pids, filepath.Base(filepath.Dir(path)))
		}
	}
	return pids
}
