package dptest

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

// namespaceName is dn-<what>-dptest<pid>-<n>: the whole PID of the creating test process, so
// that a later test process can tell a leftover whose creator is gone (see
// SweepDeadNamespaces). Unlike Name it is not cut to 15 bytes: namespace names are file
// names, not interface names.
func namespaceName(what string, pid int, n int64) string {
	return fmt.Sprintf("dn-%s-dptest%d-%d", what, pid, n)
}

// ownNamespace matches namespaceName's names only; every other dn-* name (pod namespaces of
// cnitest, the lab's) belongs to someone else and is never swept.
var ownNamespace = regexp.MustCompile(`^dn-[a-z0-9]+-dptest([1-9][0-9]*)-[1-9][0-9]*$`)

// SweepDeadNamespaces removes the namespaces named by namespaceName whose creating process is
// no longer alive: t.Cleanup does not run when a test binary panics on -timeout or is killed,
// and a leftover namespace keeps its veths, bridges and nft tables. A PID that is alive again
// (reused) keeps its namespaces: leaving one is safe, removing a live test's is not.
func SweepDeadNamespaces() []error {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, e := range entries {
		m := ownNamespace.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		if out, err := exec.Command("ip", "netns", "del", e.Name()).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("ip netns del %s (its test process %d is gone): %v: %s", e.Name(), pid, err, out))
		}
	}
	return errs
}

// alive says whether a process with pid exists; signal 0 checks without sending anything.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
