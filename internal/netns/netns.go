// Package netns is the one way dualnet makes, enters and removes named network namespaces:
// the ones iproute2 and libcni bind under Dir. The lab's machines, the tests' nodes, pods and
// routers, and the kernel route backend all name and reach namespaces through it. It must not
// hold any network policy or naming scheme: callers choose names (tests through
// internal/testutil/deadns) and what goes inside.
package netns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// Dir is where named network namespaces are bound, as `ip netns add` and libcni expect.
const Dir = "/run/netns"

// Path is where the namespace called name is bound. A name with a slash in it is already a
// path (/proc/<pid>/ns/net, /run/netns/x) and is returned as it is.
func Path(name string) string {
	if filepath.Base(name) != name {
		return name
	}
	return filepath.Join(Dir, name)
}

// At is the namespace called name (or at that path) as the dataplane reaches it.
func At(name string) nodens.Namespace { return nodens.At(Path(name)) }

// Create makes a named network namespace without moving the caller into it.
// vishvananda/netns' NewNamed switches the calling thread into the new namespace, so it runs on
// a locked thread of its own that is switched back before it serves anything else. Leaving the
// thread locked for Go to end is not enough: the main thread is never ended, only parked, and
// /proc/<pid>/ns/net (which the CNI plugin compares with CNI_NETNS) follows the main thread.
// A thread that cannot be switched back stays locked and is ended (or parked) with its goroutine.
func Create(name string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := vnetns.Get()
		if err != nil {
			errc <- fmt.Errorf("create network namespace %s: open the current one: %w", name, err)
			return
		}
		defer orig.Close()
		created, err := vnetns.NewNamed(name)
		if err == nil {
			created.Close()
		} else {
			err = fmt.Errorf("create network namespace %s: %w", name, err)
		}
		if serr := vnetns.Set(orig); serr != nil {
			errc <- errors.Join(err, fmt.Errorf("create network namespace %s: return to the caller's: %w", name, serr))
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// CreateWithLoopback is Create and then LoopbackUp, as a container runtime makes every pod
// sandbox; a namespace whose loopback cannot be brought up is removed again.
func CreateWithLoopback(name string) error {
	if err := Create(name); err != nil {
		return err
	}
	if err := LoopbackUp(name); err != nil {
		return errors.Join(err, Delete(name))
	}
	return nil
}

// Delete removes a named namespace; a namespace that is already gone is not an error.
func Delete(name string) error {
	if _, err := os.Stat(Path(name)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := vnetns.DeleteNamed(name); err != nil {
		return fmt.Errorf("delete network namespace %s: %w", name, err)
	}
	return nil
}

// Do runs fn on a thread inside the namespace called name (or at that path, such as a pod's
// /proc/<pid>/ns/net): a /proc/sys file it opens or a process it starts belongs to that
// namespace.
func Do(name string, fn func() error) error { return At(name).Do(fn) }

// Netlink opens a netlink handle bound to the namespace called name; the caller closes it.
func Netlink(name string) (*netlink.Handle, error) { return At(name).Netlink() }

// LoopbackUp brings up lo in the namespace called name, as a container runtime does for every
// pod sandbox: a fresh namespace's lo is down, and without ::1 programs (Go's among them)
// conclude that the namespace has no IPv6.
func LoopbackUp(name string) error {
	h, err := Netlink(name)
	if err != nil {
		return err
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("loopback in %s: %w", name, err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("loopback up in %s: %w", name, err)
	}
	return nil
}
