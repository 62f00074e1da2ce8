package dptest

import "github.com/dualnet/dualnet/internal/testutil/deadns"

// owner marks the namespaces NewNamespace makes (deadns.Name), so that SweepDeadNamespaces
// can tell the leftovers of a dead test process.
const owner = "dptest"

// namespaceName is dn-<what>-dptest<pid>-<n> (deadns.Name).
func namespaceName(what string, pid int, n int64) string {
	return deadns.Name(what, owner, pid, n)
}

// SweepDeadNamespaces removes the namespaces named by namespaceName whose creating process is
// no longer alive (see deadns.Sweep); cnitest's and the lab's are never touched.
func SweepDeadNamespaces() []error { return deadns.Sweep(owner) }
