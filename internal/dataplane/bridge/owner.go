package bridge

import "github.com/vishvananda/netlink"

// ownerAlias marks the bridges dualnet created (IFLA_IFALIAS, `ip link show` prints it as
// "alias dualnet"), so that nothing of dualnet's ever deletes or renumbers a bridge some
// other software made under the same name.
const ownerAlias = "dualnet"

// Owned says whether dualnet created link, i.e. whether dualnet may delete it.
func Owned(link netlink.Link) bool {
	return link.Attrs().Alias == ownerAlias
}
