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
)

// Down removes everything a lab made and says what: its processes (the supervisor first, which
// stops the control plane and the components in order), any process still inside one of its
// namespaces, its namespaces (pods', nodes', vnet-host, vnet) and its state directory.
// A lab that is not there is not an error: Down reports that nothing was left.
func Down(root, name string, out io.Writer) error {
	if err := CheckName(name); err != nil {
		return err // never remove a directory a bad name would point at
	}
	names := Names{Lab: name}
	dir := root + "/" + name
	st, err := LoadState(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var errs []error
	removed := 0
	if st != nil {
		// The supervisor first: it stops what it started in order; then anything left.
		procs := slices.Clone(st.Processes)
		slices.SortStableFunc(procs, func(a, b Process) int {
			if a.Name == "supervisor" {
				return -1
			}
			if b.Name == "supervisor" {
				return 1
			}
			return 0
		})
		for _, p := range procs {
			if !p.alive() {
				continue
			}
			if err := p.stop(20 * time.Second); err != nil {
				errs = append(errs, err)
				continue
			}
			fmt.Fprintf(out, "stopped %s (pid %d)\n", p.Name, p.PID)
			removed++
		}
	}
	// What still runs on the nodes (shims and containers whose containerd is gone), then the
	// nodes' mount and UTS namespaces, which takes every mount made in them.
	machines := labMachines(dir)
	stopStrays := func(pids []int, where string) {
		for _, pid := range pids {
			start, err := processStartTime(pid)
			if err != nil {
				continue // gone meanwhile
			}
			if err := (Process{Name: "process " + where, PID: pid, StartTime: start}).stop(5 * time.Second); err != nil {
				errs = append(errs, err)
				continue
			}
			fmt.Fprintf(out, "stopped pid %d (it ran %s)\n", pid, where)
			removed++
		}
	}
	stopStrays(nodeProcesses(machines), "on a lab node")
	for _, m := range machines {
		if err := m.remove(); err != nil {
			errs = append(errs, err)
		}
	}
	namespaces := labNamespaces(names, st)
	stopStrays(processesIn(namespaces), "inside the lab's namespaces")
	for _, ns := range namespaces {
		if err := DeleteNetns(ns); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(out, "deleted network namespace %s (and its links)\n", ns)
		removed++
	}
	if _, err := os.Stat(dir); err == nil {
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
	// The root too, once no lab is left in it (Remove refuses a directory that is not empty).
	if os.Remove(root) == nil {
		fmt.Fprintf(out, "removed %s\n", root)
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

// labNamespaces are the namespaces the state recorded plus any on the machine whose name the
// lab gives out (a pod's, or one recorded by a supervisor that died before saving), pods first.
func labNamespaces(names Names, st *State) []string {
	var recorded []string
	if st != nil {
		recorded = st.Namespaces
	}
	var pods, others []string
	entries, _ := os.ReadDir(NetnsDir)
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
