package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// CreateNetns makes a named network namespace without moving the caller into it.
// netns.NewNamed switches the calling thread into the new namespace, so it runs on a thread of
// its own that is never unlocked: when the goroutine ends, Go ends the thread with it, and
// no other work can ever run in the namespace it was left in.
func CreateNetns(name string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		created, err := netns.NewNamed(name)
		if err == nil {
			created.Close()
		}
		errc <- err
	}()
	if err := <-errc; err != nil {
		return fmt.Errorf("create network namespace %s: %w", name, err)
	}
	return nil
}

// DeleteNetns removes a named namespace; a namespace that is already gone is not an error.
func DeleteNetns(name string) error {
	if _, err := os.Stat(NetnsPath(name)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := netns.DeleteNamed(name); err != nil {
		return fmt.Errorf("delete network namespace %s: %w", name, err)
	}
	return nil
}

// InNetns runs fn on a thread inside the named namespace (or the one at an absolute path,
// such as a pod's /proc/<pid>/ns/net): a /proc/sys file it opens or a process it starts
// belongs to that namespace.
func InNetns(name string, fn func() error) error {
	if filepath.IsAbs(name) {
		return nodens.At(name).Do(fn)
	}
	return nodens.At(NetnsPath(name)).Do(fn)
}

// netlinkIn opens a netlink handle bound to the named namespace; the caller closes it.
func netlinkIn(name string) (*netlink.Handle, error) {
	return nodens.At(NetnsPath(name)).Netlink()
}

// SetLoopbackUp brings up lo in the named namespace, as a container runtime does for every
// pod sandbox: a fresh namespace's lo is down, and without ::1 programs (Go's among them)
// conclude that the namespace has no IPv6.
func SetLoopbackUp(name string) error {
	h, err := netlinkIn(name)
	if err != nil {
		return err
	}
	defer h.Close()
	return upByName(h, "lo")
}
