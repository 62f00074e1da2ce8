package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// removePods stops and removes every pod sandbox of a node through its containerd's CRI, as
// a drained node would: containerd calls dualnet-cni DEL for each, unmounts its volumes and
// removes its cgroups. The supervisor runs it after the node's kubelet stopped and before its
// containerd does, so nothing of the pods outlives the lab.
func removePods(cfg Config, m nodeMachine, netns string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path, args := m.command(netns, filepath.Join(cfg.NodeBinDir, "crictl"),
		"--runtime-endpoint=unix://"+containerdSocket, "--timeout=50s", "rmp", "--all", "--force")
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = nodeEnv(cfg)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("node %s: remove its pods (crictl rmp): %v: %s", m.Name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// nodeProcesses lists what still runs in the lab's nodes: every process in a node's mount
// namespace (containerd, the kubelet, the shims, hostNetwork containers) and every descendant
// of one (the containers, which live in mount namespaces of their own), children first so
// that a shim cannot restart what was just stopped.
func nodeProcesses(machines []nodeMachine) []int {
	parent := map[int]int{}
	var roots []int
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if ppid, ok := parentOf(pid); ok {
			parent[pid] = ppid
		}
		for _, m := range machines {
			if m.inMountNS(pid) {
				roots = append(roots, pid)
				break
			}
		}
	}
	in := map[int]bool{}
	for _, r := range roots {
		in[r] = true
	}
	// Close over the parent relation until nothing is added.
	for changed := true; changed; {
		changed = false
		for pid, ppid := range parent {
			if !in[pid] && in[ppid] {
				in[pid] = true
				changed = true
			}
		}
	}
	var out []int
	for pid := range in {
		out = append(out, pid)
	}
	// Deeper first: a process's depth below a root orders it before its parent.
	depth := func(pid int) int {
		d := 0
		for p := pid; in[parent[p]] && d < 64; p = parent[p] {
			d++
		}
		return d
	}
	slices.SortFunc(out, func(a, b int) int { return depth(b) - depth(a) })
	return out
}

func parentOf(pid int) (int, bool) {
	fields, err := procStat(pid)
	if err != nil || len(fields) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	return ppid, err == nil
}

// labMachines are the node machines whose directories the lab's state holds.
func labMachines(dir string) []nodeMachine {
	entries, _ := os.ReadDir(filepath.Join(dir, "nodes"))
	var out []nodeMachine
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, nodeMachine{Name: e.Name(), Dir: filepath.Join(dir, "nodes", e.Name())})
		}
	}
	return out
}
