package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestReapedCPUIsTheWaitedForChildrensTime(t *testing.T) {
	// A command name may hold spaces and parentheses; the fields count from the last ')'.
	// utime 7, stime 3 (the process's own), cutime 250, cstime 50 (its children's), in
	// ticks; started 987654 ticks after boot.
	path := filepath.Join(t.TempDir(), "stat")
	line := "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 200 0 0 7 3 250 50 20 0 12 0 987654 1000 50\n"
	if err := os.WriteFile(path, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	start, children, err := reapedCPU(path)
	if err != nil || start != "987654" || children != 3*time.Second {
		t.Errorf("reapedCPU = %q, %v, %v; want \"987654\", 3s, no error", start, children, err)
	}
	if err := os.WriteFile(path, []byte("4242 (short) S 1 2 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := reapedCPU(path); err == nil {
		t.Error("reapedCPU of a line with too few fields gave no error")
	}
	if _, _, err := reapedCPU(filepath.Join(t.TempDir(), "gone")); err == nil {
		t.Error("reapedCPU of a process that is gone gave no error")
	}
}

func TestParseBusyLeavesOutIdleAndIOWait(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	busy, err := parseBusy("cpu  100 5 50 1000 20 3 2 1 7 0\ncpu0 50 2 25 500 10 1 1 0 3 0\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := 161 * clockTick; busy != want {
		t.Errorf("busy = %v, want %v (user, nice, system, irq, softirq, steal)", busy, want)
	}
	for _, bad := range []string{"", "intr 1 2 3 4 5 6 7 8 9", "cpu 1 2 3 4 5 6 x 8"} {
		if _, err := parseBusy(bad); err == nil {
			t.Errorf("parseBusy(%q) gave no error", bad)
		}
	}
}
