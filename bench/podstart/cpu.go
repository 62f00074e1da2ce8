package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the kernel's USER_HZ, the unit of /proc's CPU times; 100 on every Linux
// architecture Go runs on.
const clockTick = 10 * time.Millisecond

// cpuUse is CPU time spent between two samples: the whole machine's, and that of the
// child processes the measured node's containerd ran and waited for. Those children are
// the CNI plugins (for dualnet: dualnet-cni, dualnet-portmap, dualnet-bandwidth; for the
// upstream chain: bridge, host-local, portmap, bandwidth) and the shim binary's own
// commands (`containerd-shim-runc-v2 start`, and `delete` when a shim is cleaned up), the
// same for both, so the difference between the plugins is what their CNI calls cost the
// node. Wall times on a 2-core machine running a
// whole cluster move by tens of percent from round to round, and with the rounds before;
// CPU per pod moves far less.
type cpuUse struct {
	machine, containerdChildren time.Duration
}

// sampleCPU reads the machine's busy time from /proc/stat, and the CPU time of the children
// that the containerd in node's network namespace has reaped (/proc/<pid>/stat).
func sampleCPU(node string) (cpuUse, error) {
	var use cpuUse
	var err error
	if use.machine, err = machineBusy(); err != nil {
		return use, err
	}
	var st syscall.Stat_t
	if err := syscall.Stat("/run/netns/"+node, &st); err != nil {
		return use, fmt.Errorf("node %s's network namespace: %w", node, err)
	}
	want := fmt.Sprintf("net:[%d]", st.Ino)
	paths, _ := filepath.Glob("/proc/[0-9]*")
	found := false
	for _, dir := range paths {
		if ns, err := os.Readlink(dir + "/ns/net"); err != nil || ns != want {
			continue // gone since the glob, or not the node's
		}
		if name, children, ok := reapedCPU(dir + "/stat"); ok && name == "containerd" {
			use.containerdChildren += children
			found = true
		}
	}
	if !found {
		return use, fmt.Errorf("node %s: no containerd process in its network namespace", node)
	}
	return use, nil
}

// reapedCPU is a process's name and the user + system time of the children it has waited for.
func reapedCPU(path string) (string, time.Duration, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", 0, false
	}
	s := string(data)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", 0, false
	}
	// After the name: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
	// cmajflt utime stime cutime cstime.
	f := strings.Fields(s[end+1:])
	if len(f) < 15 {
		return "", 0, false
	}
	cutime, err1 := strconv.ParseInt(f[13], 10, 64)
	cstime, err2 := strconv.ParseInt(f[14], 10, 64)
	if err1 != nil || err2 != nil {
		return "", 0, false
	}
	return s[open+1 : end], time.Duration(cutime+cstime) * clockTick, true
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
	// cpu user nice system idle iowait irq softirq steal (guest time is inside user).
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
	n := time.Duration(max(pods, 1))
	return cpuUse{machine: u.machine / n, containerdChildren: u.containerdChildren / n}
}
