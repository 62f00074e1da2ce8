// Package deadns is test support for the named network namespaces that tests and benchmarks
// create: names that carry the creating process's PID, and a sweep that removes the ones
// whose creator is gone. t.Cleanup and defers do not run when a test binary panics on
// -timeout or a benchmark is killed, and a leftover namespace keeps its veths, bridges and
// nft tables.
package deadns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
)

// netnsDir is where `ip netns add` binds named namespaces.
const netnsDir = "/run/netns"

// Name is dn-<what>-<owner><pid>-<n>: the whole PID, so that a later process can tell a
// leftover whose creator is gone. It is not cut to 15 bytes: namespace names are file
// names, not interface names. what and owner are lower-case letters and digits.
func Name(what, owner string, pid int, n int64) string {
	return fmt.Sprintf("dn-%s-%s%d-%d", what, owner, pid, n)
}

// Sweep removes the namespaces that Name made for owner whose creating process is no longer
// alive. Every other name belongs to someone else and is never touched. A PID that is alive
// again (reused) keeps its namespaces: leaving one is safe, removing a live one is not.
func Sweep(owner string) []error {
	own := regexp.MustCompile(`^dn-[a-z0-9]+-` + regexp.QuoteMeta(owner) + `([1-9][0-9]*)-[1-9][0-9]*$`)
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, e := range entries {
		m := own.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		if out, err := exec.Command("ip", "netns", "del", e.Name()).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("ip netns del %s (its process %d is gone): %v: %s", e.Name(), pid, err, out))
		}
	}
	return errs
}

// alive says whether a process with pid exists; signal 0 checks without sending anything.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
