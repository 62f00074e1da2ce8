package cnitest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/dualnet/dualnet/internal/testutil/deadns"
)

var podCounter atomic.Int64

// PodNS is a named network namespace playing a pod's sandbox.
type PodNS struct {
	Name string
	Path string
}

// sweepOnce removes, before this process makes its first pod namespace, the ones that
// processes which died without their cleanup (a killed benchmark, a test -timeout) left.
var sweepOnce sync.Once

// NewPodNS creates /run/netns/dn-<what>-cnitest<pid>-<n> with loopback up. The caller
// removes it with Delete.
func NewPodNS(what string) (*PodNS, error) {
	sweepOnce.Do(func() {
		for _, err := range deadns.Sweep("cnitest") {
			fmt.Fprintln(os.Stderr, "cnitest: sweeping pod namespaces of dead processes:", err)
		}
	})
	name := deadns.Name(what, "cnitest", os.Getpid(), podCounter.Add(1))
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer orig.Close()
	h, err := netns.NewNamed(name) // moves this thread into the new namespace
	if err != nil {
		_ = netns.Set(orig)
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("create netns %s: %w", name, err)
	}
	h.Close()
	lo, lerr := netlink.LinkByName("lo")
	if lerr == nil {
		lerr = netlink.LinkSetUp(lo)
	}
	if err := netns.Set(orig); err != nil {
		// The thread stays locked and dies with its goroutine rather than serve others
		// from the wrong namespace.
		return nil, fmt.Errorf("return from netns %s: %w", name, err)
	}
	runtime.UnlockOSThread()
	p := &PodNS{Name: name, Path: filepath.Join("/run/netns", name)}
	if lerr != nil {
		_ = p.Delete()
		return nil, fmt.Errorf("loopback up in %s: %w", name, lerr)
	}
	return p, nil
}

// Delete unmounts and removes the namespace; a missing one is not an error.
func (p *PodNS) Delete() error {
	if _, err := os.Stat(p.Path); os.IsNotExist(err) {
		return nil
	}
	return netns.DeleteNamed(p.Name)
}
