package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dualnet/dualnet/internal/lab"
)

// clockTick is the kernel's USER_HZ, the unit of /proc's CPU times; 100 on every Linux
// architecture Go runs on.
const clockTick = 10 * time.Millisecond

// cpuUse is CPU time spent between two samples: the whole machine's, and that of the
// processes the node's containerd ran and waited for, with what they waited for in turn
// (the package comment says which those are).
type cpuUse struct {
	machine, containerdChildren time.Duration
}

// containerdProc is the node's containerd as the lab recorded it: the supervisor starts it
// through nsenter, which executes it in place, so the PID is containerd's own.
type containerdProc struct {
	pid   int
	start string // field 22 of /proc/<pid>/stat: tells a restarted containerd from this one
}

func findContainerd(labDir, node string) (containerdProc, error) {
	st, err := lab.LoadState(labDir)
	if err != nil {
		return containerdProc{}, err
	}
	for _, p := range st.Processes {
		if p.Name == "containerd-"+node {
			return containerdProc{pid: p.PID, start: strconv.FormatUint(p.StartTime, 10)}, nil
		}
	}
	return containerdProc{}, fmt.Errorf("the lab in %s records no containerd-%s", labDir, node)
}

// sample reads the machine's busy time from /proc/stat and the CPU time of the children
// containerd has waited for from /proc/<pid>/stat.
func (c containerdProc) sample() (cpuUse, error) {
	var use cpuUse
	var err error
	if use.machine, err = machineBusy(); err != nil {
		return use, err
	}
	path := fmt.Sprintf("/proc/%d/stat", c.pid)
	start, children, err := reapedCPU(path)
	if err == nil && start != c.start {
		err = fmt.Errorf("process %d is no longer the containerd the lab started: it restarted", c.pid)
	}
	if err != nil {
		return use, fmt.Errorf("containerd's CPU time (%s): %w", path, err)
	}
	use.containerdChildren = children
	return use, nil
}

// reapedCPU reads a process's start time (in clock ticks since boot, as text) and the user +
// system time of the children it has waited for.
func reapedCPU(path string) (start string, children time.Duration, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", 0, err
	}
	// The command name (field 2) may hold spaces and parentheses; the fields resume after
	// the last ')', at the state (field 3).
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	const cutime, cstime, starttime = 16 - 3, 17 - 3, 22 - 3
	if len(f) <= starttime {
		return "", 0, fmt.Errorf("%d fields after the command name, want %d", len(f), starttime+1)
	}
	cu, err1 := strconv.ParseInt(f[cutime], 10, 64)
	cs, err2 := strconv.ParseInt(f[cstime], 10, 64)
	if err1 != nil || err2 != nil {
		return "", 0, fmt.Errorf("children's times %q %q are not numbers", f[cutime], f[cstime])
	}
	return f[starttime], time.Duration(cu+cs) * clockTick, nil
}

// machineBusy is the time all CPUs spent other than idle or waiting for I/O since boot.
func machineBusy() (time.Duration, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseBusy(string(data))
}

// parseBusy reads the busy time off /proc/stat's first line.
func parseBusy(stat string) (time.Duration, error) {
	line, _, _ := strings.Cut(stat, "\n")
	// cpu user nice system idle iowait irq softirq steal (guest and guest_nice, after
	// them, are counted in user and nice already).
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var ticks int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %q: %w", line, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// since is the CPU spent from prev to u.
func (u cpuUse) since(prev cpuUse) cpuUse {
	return cpuUse{machine: u.machine - prev.machine, containerdChildren: u.containerdChildren - prev.containerdChildren}
}

// perPod is u shared among pods.
func (u cpuUse) perPod(pods int) cpuUse {
	n := time.Duration(pods)
	return cpuUse{machine: u.machine / n, containerdChildren: u.containerdChildren / n}
}
