package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
)

// compare measures the CPU of two dualnet-cni builds, this tree's and other (an absolute
// path: run.sh runs from the repository's root): for each of pods dual-stack pods per build,
// ADD through one build then the other, the order swapping pod by pod, then DEL the same way,
// each plugin run straight (no libcni) and its CPU read from its own rusage. Interleaving call
// by call is what resolves a change of a few percent, which the main benchmark's per-call CPU,
// taken over a round of each plugin in turn, moves by on its own (README.md).
//
// Each build has its own bridge, pod CIDRs, address store and pods, but the node has one
// anti-spoofing table, which both builds must write alike (or each would rewrite it on
// every other call). One untimed ADD and DEL per build first lets neither pay for writing it.
func compare(other string, pods, rounds int, dir string) error {
	if !filepath.IsAbs(other) {
		return fmt.Errorf("-compare %q: give the other build's absolute path (run.sh runs from the repository's root)", other)
	}
	if pods < 1 || rounds < 1 {
		return fmt.Errorf("-compare needs -pods and -rounds of at least 1, not %d and %d", pods, rounds)
	}
	work, err := os.MkdirTemp(dir, "dualnet-bench-cni-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	builds := [2]string{filepath.Join(work, "this"), filepath.Join(work, "other")}
	fmt.Println("building dualnet-cni from this tree ...")
	built := filepath.Join(work, "built")
	if err := cnitest.Build(built, binaries["dualnet"]); err != nil {
		return err
	}
	// Both copied the same way: a file the linker wrote and one cp wrote sit differently in
	// the page cache, and exec faults them in at different costs (2-3% of a call's CPU, two
	// copies of one build measured against each other).
	for i, from := range []string{built, other} {
		if out, err := exec.Command("cp", from, builds[i]).CombinedOutput(); err != nil {
			return fmt.Errorf("copy %s: %v: %s", from, err, out)
		}
	}
	if _, err := compareRound(builds, 1, filepath.Join(work, "warm-up")); err != nil {
		return err
	}
	fmt.Printf("\nCPU per call (ms, the plugin process's user + system), %d dual-stack pods per build per round, calls alternating\n\n", pods)
	fmt.Printf("%6s  %4s  %8s  %8s  %6s\n", "round", "verb", "this", "other", "ratio")
	for r := range rounds {
		used, err := compareRound(builds, pods, filepath.Join(work, fmt.Sprint(r)))
		if err != nil {
			return err
		}
		for i, verb := range []string{"ADD", "DEL"} {
			this, that := used[i][0]/time.Duration(pods), used[i][1]/time.Duration(pods)
			fmt.Printf("%6d  %4s  %8s  %8s  %6.3f\n", r+1, verb, msFine(this), msFine(that), ratio(this, that))
		}
	}
	return nil
}

// compareRound runs one round and returns the CPU of every ADD and every DEL of each build.
func compareRound(builds [2]string, pods int, dataDir string) (used [2][2]time.Duration, err error) {
	sandboxes, err := newSandboxes(pods * len(builds)) // pod i of build b in i*2+b
	defer deleteSandboxes(sandboxes)
	if err != nil {
		return used, err
	}
	for v, verb := range []string{"ADD", "DEL"} {
		for i := range pods {
			for k := range builds {
				b := (i + k) % 2 // this build first on even pods, the other first on odd ones
				// Each build's pods have their own container IDs: a veth's name comes from it.
				cpu, err := runPlugin(builds[b], verb, fmt.Sprintf("bench-%d-%d", b, i), sandboxes[i*2+b].Path, compareConf(b, dataDir))
				if err != nil {
					return used, fmt.Errorf("%s pod %d through %s: %w", verb, i, builds[b], err)
				}
				used[v][b] += cpu
			}
		}
	}
	return used, nil
}

// compareConf gives each build its own bridge, pod CIDRs and network name (the address
// store's directory).
func compareConf(build int, dataDir string) []byte {
	plugin := dualnetPlugin(fmt.Sprintf("cbr%d", 5+build), []string{fmt.Sprintf("10.%d.1.0/24", 250+build), fmt.Sprintf("fd12:3456:789a:%d:1::/80", build)}, dataDir)
	plugin["cniVersion"], plugin["name"] = "1.1.0", fmt.Sprintf("compare%d", build)
	data, _ := json.Marshal(plugin)
	return data
}

// runPlugin runs one call of a plugin binary as a runtime does and returns its CPU time.
func runPlugin(bin, verb, containerID, netns string, conf []byte) (time.Duration, error) {
	cmd := exec.Command(bin)
	cmd.Env = []string{"CNI_COMMAND=" + verb, "CNI_CONTAINERID=" + containerID, "CNI_NETNS=" + netns,
		"CNI_IFNAME=eth0", "CNI_PATH=" + filepath.Dir(bin), "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Stdin = bytes.NewReader(conf)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%w: %s", err, out.Bytes())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
