package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// CreateNetns makes a named network namespace without moving the caller into it.
// netns.NewNamed switches the calling thread, so the thread is locked and switched back; if
// switching back fails the thread stays locked and dies with the goroutine instead of
// carrying the wrong namespace into other work.
func CreateNetns(name string) error {
	runtime.LockOSThread()
	origin, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("create network namespace %s: %w", name, err)
	}
	defer origin.Close()
	created, err := netns.NewNamed(name)
	if err != nil {
		_ = netns.Set(origin)
		runtime.UnlockOSThread()
		return fmt.Errorf("create network namespace %s: %w", name, err)
	}
	created.Close()
	if err := netns.Set(origin); err != nil {
		return fmt.Errorf("return from network namespace %s: %w", name, err)
	}
	runtime.UnlockOSThread()
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

// InNetns runs fn on a thread inside the named namespace: a /proc/sys file it opens or a
// process it starts belongs to that namespace.
func InNetns(name string, fn func() error) error {
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
