package dataplane

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// waitForIdleCPUs waits, up to within, until the machine's CPUs are at least minIdle
// (0..1) idle over a short window, so that a run does not share the cores with another
// benchmark (each core counts: the path's forwarding runs on the sender's core). It
// reports whether they were; a run started on busy cores is counted, not hidden.
func waitForIdleCPUs(within time.Duration, minIdle float64) (bool, error) {
	var readErr error
	err := poll.Until(within, 0, func() error {
		idle, err := idleShare(500 * time.Millisecond)
		if err != nil {
			readErr = err
			return nil // stop polling: it cannot get better
		}
		if idle < minIdle {
			return fmt.Errorf("CPUs %.0f%% idle, want %.0f%%", idle*100, minIdle*100)
		}
		return nil
	})
	if readErr != nil {
		return false, readErr
	}
	return err == nil, nil
}

// idleShare is the share of CPU time all CPUs spent idle (idle + iowait) over window,
// from the "cpu" line of /proc/stat.
func idleShare(window time.Duration) (float64, error) {
	before, err := cpuTimes()
	if err != nil {
		return 0, err
	}
	time.Sleep(window) // the measuring window itself, not a wait for state
	after, err := cpuTimes()
	if err != nil {
		return 0, err
	}
	var total, idle float64
	for i := range after {
		d := float64(after[i] - before[i])
		total += d
		if i == 3 || i == 4 { // idle, iowait (proc(5))
			idle += d
		}
	}
	if total == 0 {
		return 1, nil
	}
	return idle / total, nil
}

func cpuTimes() ([]uint64, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil, fmt.Errorf("read /proc/stat: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return nil, fmt.Errorf("read /proc/stat: first line %q is not the cpu total", line)
	}
	// user nice system idle iowait irq softirq steal; guest and guest_nice, after them, are
	// counted in user and nice already.
	var out []uint64
	for _, f := range fields[1:9] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("read /proc/stat: %q: %w", line, err)
		}
		out = append(out, v)
	}
	return out, nil
}
