package antispoof

import (
	"context"
	"errors"
	"slices"

	"github.com/vishvananda/netlink"
)

// PortExists says whether an interface with this index exists in the calling thread's
// namespace: the keep of GC. It is asked after the registration was listed, and the plugin
// creates a veth before it registers it, so a missing index is a deleted port, never one
// being added. Only the kernel's "no such device" counts as missing: on any other error the
// port may be a live pod's, and deleting its elements would cut the pod off.
func PortExists(index int) bool {
	_, err := netlink.LinkByIndex(index)
	return !errors.As(err, new(netlink.LinkNotFoundError))
}

// GC deletes the elements of every port keep rejects.
func GC(ctx context.Context, keep func(index int) bool) (removed []int, err error) {
	regs, err := Pods(ctx)
	if err != nil {
		return nil, err
	}
	var stale []Pod
	for index, r := range regs {
		if !keep(index) {
			stale = append(stale, r.Pod)
		}
	}
	for batch := range slices.Chunk(stale, removeBatch) {
		if err := removeAll(batch); err != nil {
			return removed, err
		}
		for _, p := range batch {
			removed = append(removed, p.Index)
		}
	}
	return removed, nil
}

// removeBatch bounds the pods whose elements one GC transaction deletes, so that the batch
// stays well inside a netlink socket's send buffer (about 40 bytes an element).
const removeBatch = 256

// removeAll deletes the elements of pods in one transaction: any deletion makes the commit
// wait for the kernel (package doc), so a thousand leftovers wait a few times, not a
// thousand. A batch that meets a missing element goes pod by pod instead.
func removeAll(pods []Pod) error {
	changes, err := elementsOf(pods)
	if err != nil {
		return err
	}
	err = applyElements(deleteElements, changes)
	if !isNotFound(err) {
		return err
	}
	for _, p := range pods {
		if err := Remove(p); err != nil {
			return err
		}
	}
	return nil
}
