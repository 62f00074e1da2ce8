package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// nodeMachine makes a lab node look like a machine of its own to what runs on it: the nodes
// share one filesystem and one kernel, but a hostPath volume, a default path or the hostname
// must mean the node's own. Each node gets a mount namespace in which the paths a node's
// software uses (machinePaths) are bound from the node's directory, and a UTS namespace whose
// hostname is the node's name. Its kubelet, containerd (and so every shim, runc and pod) and
// its hostNetwork pods share them, with the node's network namespace, as on a real node.
//
// Both namespaces are kept by bind mounts of their /proc files under the node's directory
// (as `ip netns` keeps network namespaces), so that restarting a component re-enters the same
// ones; they end when those are unmounted and the last process in them is gone, taking every
// mount made inside (overlay snapshots, pod volumes) with them.
type nodeMachine struct {
	Name string // the node's name, also its hostname
	Dir  string // the node's directory in the lab's state
}

// machinePaths are the paths bound to per-node directories inside a node's mount namespace:
// the CNI configuration and plugins (written by dualnet-agent), the kubelet's and containerd's
// state, dualnet's pod address store, libcni's cache and the pods' logs.
var machinePaths = []string{
	"/etc/cni/net.d",
	"/opt/cni/bin",
	"/var/lib/kubelet",
	"/var/lib/containerd",
	"/run/containerd",
	"/var/lib/dualnet",
	"/var/lib/cni",
	"/var/log/pods",
	"/var/log/containers",
}

func (m nodeMachine) nsDir() string        { return filepath.Join(m.Dir, "ns") }
func (m nodeMachine) mountNS() string      { return filepath.Join(m.nsDir(), "mnt") }
func (m nodeMachine) utsNS() string        { return filepath.Join(m.nsDir(), "uts") }
func (m nodeMachine) rootDir() string      { return filepath.Join(m.Dir, "root") }
func (m nodeMachine) path(p string) string { return filepath.Join(m.rootDir(), p) }

// create makes the node's directories and namespaces. hostDirs records every mount point it
// had to create on the host (a path of machinePaths the host lacks), for Down to remove.
func (m nodeMachine) create(hostDirs func(string) error) error {
	for _, p := range machinePaths {
		if err := os.MkdirAll(m.path(p), 0o755); err != nil {
			return fmt.Errorf("node %s: %w", m.Name, err)
		}
		// The mount point, and each parent the machine lacks, recorded before it is made.
		var missing []string
		for d := p; d != "/"; d = filepath.Dir(d) {
			if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
				break
			}
			missing = append(missing, d)
		}
		for i := len(missing) - 1; i >= 0; i-- {
			if err := hostDirs(missing[i]); err != nil {
				return err
			}
			if err := os.Mkdir(missing[i], 0o755); err != nil {
				return fmt.Errorf("node %s: create the mount point %s: %w", m.Name, missing[i], err)
			}
		}
	}
	// The namespace files must sit on a mount that does not propagate, or binding them
	// would be refused (and would show in other namespaces): the directory is bound onto
	// itself and made private, as iproute2 does for /run/netns.
	if err := os.MkdirAll(m.nsDir(), 0o700); err != nil {
		return err
	}
	if err := unix.Mount(m.nsDir(), m.nsDir(), "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("node %s: bind %s: %w", m.Name, m.nsDir(), err)
	}
	if err := unix.Mount("", m.nsDir(), "", unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("node %s: make %s private: %w", m.Name, m.nsDir(), err)
	}
	for _, f := range []string{m.mountNS(), m.utsNS()} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			return err
		}
	}
	// Inside: the node's paths, its hostname, and a root that propagates mounts to the
	// node's containers (HostToContainer volumes), as kind makes its nodes' root rshared.
	script := []string{"set -e", "hostname " + m.Name}
	for _, p := range machinePaths {
		script = append(script, fmt.Sprintf("mount --bind %q %q", m.path(p), p))
	}
	script = append(script, "mount --make-rshared /")
	cmd := exec.Command("unshare", "--mount="+m.mountNS(), "--uts="+m.utsNS(), "--propagation=private",
		"--", "sh", "-c", strings.Join(script, "\n"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("node %s: create its mount and UTS namespaces: %v: %s", m.Name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// command runs a program on the node: in its mount, UTS and network namespaces. nsenter
// enters them and execs the program, so the PID is the program's.
func (m nodeMachine) command(netns, path string, args ...string) (string, []string) {
	return "nsenter", append([]string{"--mount=" + m.mountNS(), "--uts=" + m.utsNS(), "--net=" + netns, "--", path}, args...)
}

// remove unmounts the namespace files (the namespaces end with their last process) and the
// private bind under them. Missing ones are not an error: Down runs it after a failed Up.
func (m nodeMachine) remove() error {
	var errs []error
	for _, f := range []string{m.mountNS(), m.utsNS(), m.nsDir()} {
		if err := unix.Unmount(f, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("node %s: unmount %s: %w", m.Name, f, err))
		}
	}
	return errors.Join(errs...)
}

// inMountNS says whether process pid runs in the node's mount namespace (containerd, the
// kubelet, the shims and hostNetwork containers do).
func (m nodeMachine) inMountNS(pid int) bool {
	want, err := nsInode(m.mountNS())
	if err != nil {
		return false
	}
	got, err := nsInode(fmt.Sprintf("/proc/%d/ns/mnt", pid))
	return err == nil && got == want
}

func nsInode(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}
