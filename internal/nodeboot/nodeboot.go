// Package nodeboot names the running instance of a node's network: the kernel's boot, and the
// network namespace the node's pods hang from. Interface indexes are handed out per namespace
// and start over in a new one. A reboot makes one, but so does restarting a node that runs in
// a container of its own (kind's), and there the boot ID stays the same. What dualnet keeps
// across a namespace's life (the address store's note of the boot, the anti-spoofing table's
// boot chains) names both, so that a new namespace counts as a new boot.
package nodeboot

import (
	"errors"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Now is the running boot and the calling thread's network namespace.
type Now struct {
	// Boot is the kernel's boot ID, a UUID, the same in every namespace.
	Boot string
	// Netns is the namespace's cookie (SO_NETNS_COOKIE), in decimal, which the kernel never
	// hands out twice in a boot; "" on a kernel without cookies (before Linux 5.14), where
	// only the boot can be told.
	Netns string
}

// Read returns the running boot and the calling thread's namespace, or false when they
// cannot be told: the boot ID cannot be read, or the cookie cannot, on a kernel that has
// them. Callers then take nothing for another boot's.
//
// The namespace is the calling thread's: call it where the node's veths are made, not on a
// thread switched into a pod's namespace.
func Read() (Now, bool) {
	data, err := os.ReadFile(bootIDPath)
	boot := strings.TrimSpace(string(data))
	if err != nil || !isUUID(boot) {
		return Now{}, false
	}
	cookie, err := netnsCookie()
	switch {
	case errors.Is(err, unix.ENOPROTOOPT):
		return Now{Boot: boot}, true
	case err != nil:
		// Out of file descriptors, say: not a kernel without cookies, so the boot alone
		// would pass for another namespace's.
		return Now{}, false
	}
	return Now{Boot: boot, Netns: strconv.FormatUint(cookie, 10)}, true
}

// bootIDPath is the kernel's random ID of the running boot.
var bootIDPath = "/proc/sys/kernel/random/boot_id"

// isUUID says whether s is what the kernel writes as the boot ID: a UUID, in lower case
// (8-4-4-4-12 hexadecimal digits). Anything else is taken as no boot ID, so that an ID can go
// into a file's contents or an nftables chain name as it is. Checked by hand, not with a
// regular expression: compiling one at start-up cost the CNI plugin, which runs this package's
// initialisation on every call, about 1% of its CPU.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range []byte(s) {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// netnsCookie is the cookie of the calling thread's network namespace, read from a socket
// made in it.
func netnsCookie() (uint64, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	return unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_NETNS_COOKIE)
}
