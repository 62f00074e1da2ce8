package cnitest

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/vishvananda/netlink"
)

const insideEnv = "DUALNET_CNITEST_NODE_NETNS"

// InNodeNamespace says whether this is the program RunInNodeNamespace re-executed, inside the
// node namespace, where nothing outside the machine is reachable.
func InNodeNamespace() bool { return os.Getenv(insideEnv) == "1" }

// RunInNodeNamespace makes the rest of the process run in a new network namespace that plays
// the node (its bridge, veths and nftables die with the process). The first call re-executes
// the program with CLONE_NEWNET and exits with its status; inside the new namespace it brings
// loopback up and returns. Call it first thing in TestMain or main: anything before it runs in
// both processes (InNodeNamespace tells them apart).
func RunInNodeNamespace() error {
	if InNodeNamespace() {
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			return fmt.Errorf("node namespace loopback: %w", err)
		}
		return netlink.LinkSetUp(lo)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("CNI tests create network namespaces, bridges and nftables rules: run them as root")
	}
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(os.Environ(), insideEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("re-run in a new network namespace: %w", err)
	}
	os.Exit(0)
	return nil
}
