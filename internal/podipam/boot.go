package podipam

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dualnet/dualnet/internal/atomicfile"
)

// A node's pods do not outlive its kernel: a reboot ends every network namespace, and with it
// every pod's veth. Their records would still hold their addresses, and only a CNI DEL or GC
// frees them; a runtime that lost its own state in the reboot (kept under /run, a tmpfs) sends
// neither, and after a few reboots the node's /24 runs out, the way host-local's store does
// ("no IP addresses available in range set"). So the store notes the kernel's boot ID, and
// the first allocation of a new boot releases the records and reservations of the earlier
// one, each only when the caller's Store.Gone says the attachment's interface is gone: a
// dualnet-cni older than this note writes records without it, so after a rollback and a
// reboot the store can hold the live pods of this boot under an earlier boot's note.

// bootIDPath is the kernel's random ID of the running boot, the same in every namespace.
var bootIDPath = "/proc/sys/kernel/random/boot_id"

func (s *Store) bootPath() string { return filepath.Join(s.dir, "boot") }

// forgetEarlierBoot runs under the lock before an allocation. It returns the attachments it
// released.
func (s *Store) forgetEarlierBoot() ([]Key, error) {
	now, err := os.ReadFile(bootIDPath)
	if err != nil || len(bytes.TrimSpace(now)) == 0 {
		// No boot ID to compare (no /proc): the records stay until DEL or GC, as they
		// would without this.
		return nil, nil
	}
	noted, err := os.ReadFile(s.bootPath())
	if err == nil && bytes.Equal(noted, now) {
		return nil, nil
	}
	var released []Key
	switch {
	case err == nil:
		// Written by an earlier boot. The boot file is replaced atomically, so a torn
		// write can never pass for another boot and release the pods of this one.
		if s.Gone == nil {
			return nil, nil // nothing can tell the live from the stale: keep them, note nothing
		}
		if released, err = s.gc(func(k Key) bool { return !s.Gone(k) }); err != nil {
			return released, fmt.Errorf("release the addresses of the pods of an earlier boot: %w", err)
		}
		if s.EarlierBoot != nil {
			if err := s.EarlierBoot(); err != nil {
				return released, err
			}
		}
	case errors.Is(err, fs.ErrNotExist):
		// A new store, or one from a dualnet that noted no boots: nothing tells which
		// records are stale, so they all stay, and from now on the boot is noted.
	default:
		return nil, fmt.Errorf("address store %s: %w", s.dir, err)
	}
	// Noted only after the release: a plugin killed in between leaves the old ID, and the
	// next allocation releases what is left.
	if err := atomicfile.Write(s.bootPath(), now, 0o600); err != nil {
		return released, fmt.Errorf("address store %s: note the boot: %w", s.dir, err)
	}
	return released, nil
}

// ForgetEarlierBoot releases what the pods of an earlier boot hold now rather than at the
// next allocation, and returns their attachments. The agent calls it when it starts, so that
// the address usage it reports is right on a node that starts no pod for a while.
func (s *Store) ForgetEarlierBoot() ([]Key, error) {
	unlock, err := lock(s.lockPath())
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.forgetEarlierBoot()
}
