package dptest

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/netns"
)

// leakEnv makes this test binary act as a test process that dies holding a namespace.
const leakEnv = "DPTEST_DIE_HOLDING_A_NAMESPACE"

func TestMain(m *testing.M) {
	if os.Getenv(leakEnv) == "1" {
		dieHoldingANamespace()
	}
	os.Exit(m.Run())
}

// dieHoldingANamespace creates a namespace as NewNamespace names it and exits the way a
// -timeout panic does: without running any cleanup.
func dieHoldingANamespace() {
	name := namespaceName("leak", os.Getpid(), 1)
	if err := netns.Create(name); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(name)
	panic("test timed out (simulated): t.Cleanup does not run")
}

func exists(name string) bool {
	_, err := os.Stat(netns.Path(name))
	return err == nil
}

func addNamespace(t *testing.T, name string) {
	t.Helper()
	if err := netns.Create(name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = netns.Delete(name) })
}

func TestSweepRemovesTheNamespaceOfADeadTestProcessAndNothingElse(t *testing.T) {
	RequireRoot(t)
	child := exec.Command(os.Args[0])
	child.Env = append(os.Environ(), leakEnv+"=1")
	out, err := child.Output()
	if err == nil {
		t.Fatalf("the dying test process exited cleanly:\n%s", out)
	}
	leaked := strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = netns.Delete(leaked) })
	if !exists(leaked) {
		t.Fatalf("the dead test process left no namespace %q to sweep", leaked)
	}
	deadPID := child.Process.Pid
	// Names that are not this package's, or whose process lives, must survive: the pod
	// namespaces of cnitest (dn-<what><pid>-<n>) and a live test binary's own.
	foreign := fmt.Sprintf("dn-pod%d-1", deadPID)
	otherShape := fmt.Sprintf("dn-leak-dptest%d-1-x", deadPID)
	live := namespaceName("live", os.Getppid(), 1)
	for _, name := range []string{foreign, otherShape, live} {
		addNamespace(t, name)
	}

	if errs := SweepDeadNamespaces(); len(errs) != 0 {
		t.Fatalf("sweep: %v", errs)
	}
	if exists(leaked) {
		t.Errorf("namespace %s of dead process %d was not swept", leaked, deadPID)
	}
	for _, name := range []string{foreign, otherShape, live} {
		if !exists(name) {
			t.Errorf("the sweep removed %s, which is not a dead dptest process's", name)
		}
	}
}

// ownNamespace is the shape of namespaceName's names.
var ownNamespace = regexp.MustCompile(`^dn-[a-z0-9]+-dptest([1-9][0-9]*)-[1-9][0-9]*$`)

func TestNamespaceNameCarriesTheWholePID(t *testing.T) {
	name := namespaceName("vnet", 4194303, 7)
	m := ownNamespace.FindStringSubmatch(name)
	if m == nil || m[1] != strconv.Itoa(4194303) {
		t.Errorf("namespaceName = %s, matched %v; want the sweep to read PID 4194303", name, m)
	}
}
