package podveth

import (
	"fmt"

	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/dataplane/rtnl"
	"github.com/dualnet/dualnet/internal/podipam"
)

// FindHost returns the host end named name in the calling thread's namespace, or nil and no
// error if there is none. It is on every DEL's path, hence rtnl.
func FindHost(name string) (netlink.Link, error) {
	link, err := rtnl.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("find veth %s: %w", name, err)
	}
	return link, nil
}

// HostGone says whether the attachment's host end is gone from the calling thread's
// namespace, for the address store's release of an earlier boot's records (podipam's
// Store.Gone). Only the kernel's "no such device" counts: on any other answer the record
// stays.
func HostGone(k podipam.Key) bool {
	link, err := FindHost(HostName(k))
	return link == nil && err == nil
}
