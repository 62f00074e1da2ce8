package lab

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/netspec"
)

func TestKubeProxyLeavesEveryHostGlobalConntrackSettingAlone(t *testing.T) {
	args := kubeProxyFlags(netspec.Default())
	for _, want := range []string{
		"--proxy-mode=nftables",
		"--cluster-cidr=10.244.0.0/16,fd12:3456:789a::/64",
		// kube-proxy writes neither nf_conntrack_max (global) nor the conntrack module's
		// hashsize (global).
		"--conntrack-max-per-core=0",
		"--oom-score-adj=0",
	} {
		if !slices.Contains(args, want) {
			t.Errorf("kube-proxy args %v lack %s", args, want)
		}
	}
	// The timeouts are per namespace: kube-proxy keeps its defaults and sets them in the
	// node's namespace, as on a real node (the e2e install test reads them there).
	for _, arg := range args {
		if strings.HasPrefix(arg, "--conntrack-tcp-timeout") || strings.HasPrefix(arg, "--conntrack-udp-timeout") {
			t.Errorf("kube-proxy arg %s: the node's conntrack timeouts are kube-proxy's defaults, as on a real node", arg)
		}
	}
}

func TestStartInStartsTheProcessInsideTheNamespaceAndItOutlivesTheStart(t *testing.T) {
	name, _ := dptest.NewNamespace(t, "startin")
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := startIn(name, cmd); err != nil {
		t.Fatal(err)
	}
	var child, want syscall.Stat_t
	errChild := syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid), &child)
	if err := syscall.Stat(netns.Path(name), &want); err != nil {
		t.Fatal(err)
	}
	if errChild != nil || child.Ino != want.Ino {
		t.Errorf("the child's network namespace is %d (%v), want %s's %d", child.Ino, errChild, name, want.Ino)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	// Killed by our SIGTERM, not by a SIGKILL from Pdeathsig: the thread that forked it lives on.
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Errorf("sleep in %s ended with %v, want it ended by our SIGTERM", name, err)
	}
}
