package lab

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/dualnet/dualnet/internal/netns"
)

// Down removes everything a lab made and says what: its processes (the supervisor first, which
// stops the control plane and the components in order), any process still inside one of its
// namespaces, its namespaces (pods', nodes', vnet-host, vnet) and its state directory.
// Processes are found by what they are (findLabProcesses), not only by the state's records, and
// Down checks that none is left before it removes the rest. It holds the lab's lock throughout
// (lock.go). A lab that is not there is not an error: Down reports that nothing was left.
func Down(root, name string, out io.Writer) error {
	if err := CheckName(name); err != nil {
		return err // never remove a directory a bad name would point at
	}
	lock, err := lockLab(root, name, out)
	if err != nil {
		return err
	}
	return downLocked(lock, root, name, out)
}

// downLocked is Down for a caller that holds the lab's lock; it removes the lock's file.
func downLocked(lock *labLock, root, name string, out io.Writer) error {
	err := down(root, name, out)
	lock.remove()
	// The root too, once no lab is left in it (Remove refuses a directory that is not empty).
	if os.Remove(root) == nil {
		fmt.Fprintf(out, "removed %s\n", root)
	}
	return err
}

func down(root, name string, out io.Writer) error {
	names := Names{Lab: name}
	dir := filepath.Join(root, name)
	st, err := LoadState(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var errs []error
	removed := 0
	stop := func(p Process, grace time.Duration) {
		if !p.alive() {
			return
		}
		if err := p.stop(grace); err != nil {
			errs = append(errs, err)
			return
		}
		fmt.Fprintf(out, "stopped %s (pid %d)\n", p.Name, p.PID)
		removed++
	}
	// The supervisors first: each stops what it started, in order. The state's and any found
	// by its command line (one whose state was lost, or one an earlier up left running).
	var supervisors []Process
	if st != nil {
		if p, ok := st.process("supervisor"); ok {
			supervisors = append(supervisors, p)
		}
	}
	for _, p := range findLabProcesses(dir) {
		if p.Supervisor && !slices.ContainsFunc(supervisors, func(s Process) bool { return s.PID == p.PID }) {
			p.Name = "supervisor"
			supervisors = append(supervisors, p.Process)
		}
	}
	for _, p := range supervisors {
		stop(p, 20*time.Second)
	}
	// Then what the supervisor recorded until it stopped, and everything else of the lab: on
	// its nodes (shims and containers whose containerd is gone), in its namespaces, or found
	// by its directory. A shim may restart a container meanwhile: look again until none is
	// found, and say which are left if some still are.
	if cur, err := LoadState(dir); err == nil {
		st = cur
	}
	if st != nil {
		for _, p := range st.Processes {
			stop(p, 10*time.Second)
		}
	}
	machines := labMachines(dir)
	namespaces := labNamespaces(names, st)
	var left []Process
	for range 3 {
		if left = labProcesses(dir, machines, namespaces); len(left) == 0 {
			break
		}
		for _, p := range left {
			stop(p, 5*time.Second)
		}
	}
	if left = labProcesses(dir, machines, namespaces); len(left) > 0 {
		var which []string
		for _, p := range left {
			which = append(which, p.Name)
		}
		errs = append(errs, fmt.Errorf("processes of the lab still run after SIGKILL: %s", strings.Join(which, "; ")))
	}
	// The nodes' mount and UTS namespaces, which takes every mount made in them.
	for _, m := range machines {
		if err := m.remove(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, ns := range namespaces {
		if err := netns.Delete(ns); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(out, "deleted network namespace %s (and its links)\n", ns)
		removed++
	}
	if mounts := mountsUnder(dir); len(mounts) > 0 {
		// RemoveAll would descend into them: the state directory stays until they are gone.
		errs = append(errs, fmt.Errorf("mounts under %s are left, so it is not removed: %s", dir, strings.Join(mounts, ", ")))
	} else if _, err := os.Stat(dir); err == nil {
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", dir, err))
		} else {
			fmt.Fprintf(out, "removed %s (state, certificates, etcd data, logs, CNI files)\n", dir)
			removed++
		}
	}
	if st != nil {
		errs = append(errs, removeHostDirs(root, name, st.HostDirs, out)...)
	}
	if err := restoreHostSettings(root, out); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("lab %q was not removed completely: %w", name, errors.Join(errs...))
	}
	if removed == 0 {
		fmt.Fprintf(out, "no lab %q here: nothing to remove\n", name)
	} else {
		fmt.Fprintf(out, "lab %q is down: nothing of it is left\n", name)
	}
	return nil
}

// labProcesses is every process of the lab still on the machine: on its nodes (children
// first), inside its namespaces, or found by its directory (findLabProcesses).
func labProcesses(dir string, machines []nodeMachine, namespaces []string) []Process {
	var out []Process
	seen := map[int]bool{}
	add := func(pid int, where string) {
		if seen[pid] {
			return
		}
		start, err := processStartTime(pid)
		if err != nil {
			return // gone meanwhile
		}
		seen[pid] = true
		out = append(out, Process{Name: fmt.Sprintf("`%s` %s", processName(pid), where), PID: pid, StartTime: start})
	}
	for _, pid := range nodeProcesses(machines) {
		add(pid, "on a lab node")
	}
	for _, pid := range processesIn(namespaces) {
		add(pid, "in the lab's namespaces")
	}
	for _, p := range findLabProcesses(dir) {
		if !seen[p.PID] {
			seen[p.PID] = true
			out = append(out, p.Process)
		}
	}
	return out
}

// mountsUnder lists the mount points in dir or below it in this process's mount namespace.
func mountsUnder(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		// The fifth field is the mount point (proc_pid_mountinfo(5)).
		if f := strings.Fields(line); len(f) > 4 && inDir(f[4], dir) {
			out = append(out, f[4])
		}
	}
	return out
}

// labNamespaces are the namespaces the state recorded plus any on the machine whose name the
// lab gives out (a pod's, or one recorded by a supervisor that died before saving), pods first.
func labNamespaces(names Names, st *State) []string {
	var recorded []string
	if st != nil {
		recorded = st.Namespaces
	}
	var pods, others []string
	entries, _ := os.ReadDir(netns.Dir)
	for _, e := range entries {
		if !names.Owns(e.Name()) {
			continue
		}
		if strings.HasPrefix(e.Name(), names.PodPrefix()) {
			pods = append(pods, e.Name())
		} else if !slices.Contains(recorded, e.Name()) {
			others = append(others, e.Name())
		}
	}
	// Recorded ones last and in reverse creation order: machines before the vnet router.
	rev := slices.Clone(recorded)
	slices.Reverse(rev)
	return append(append(pods, others...), rev...)
}

// removeHostDirs removes the mount points the lab created on the machine for its nodes,
// deepest first, unless another lab still runs (its nodes' mounts stand on them). Only empty
// directories go: a file someone put there meanwhile stays, and so does its directory.
func removeHostDirs(root, name string, dirs []string, out io.Writer) []error {
	others, _ := os.ReadDir(root)
	for _, e := range others {
		if e.IsDir() && e.Name() != name {
			if _, err := LoadState(filepath.Join(root, e.Name())); err == nil {
				return nil
			}
		}
	}
	var errs []error
	sorted := slices.Clone(dirs)
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, d := range sorted {
		if err := os.Remove(d); err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
				errs = append(errs, fmt.Errorf("remove %s: %w", d, err))
			}
			continue
		}
		fmt.Fprintf(out, "removed %s (a mount point for the nodes)\n", d)
	}
	return errs
}
