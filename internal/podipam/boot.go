package podipam

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dualnet/dualnet/internal/atomicfile"
	"github.com/dualnet/dualnet/internal/nodeboot"
)

// A node's pods do not outlive its network namespace: a reboot ends every namespace, and with
// it every pod's veth, and so does restarting a node that runs in a container (kind's). Their
// records would still hold their addresses, and only a CNI DEL or GC frees them; a runtime
// that lost its own state in the reboot (kept under /run, a tmpfs) sends neither, and after a
// few reboots the node's /24 runs out, the way host-local's store does ("no IP addresses
// available in range set"). So the store notes the kernel's boot ID and the node's namespace
// (nodeboot; "boot" here means both), and the first allocation of a new boot releases the
// records and reservations of the earlier one, each only when the caller's Store.Gone says
// the attachment's interface is gone: a dualnet-cni older than this note writes records
// without it, so after a rollback and a reboot the store can hold the live pods of this boot
// under an earlier boot's note.
//
// The namespace goes in a file of its own, boot-netns, which names its boot too. The boot file
// stays as a dualnet that noted no namespace reads it, so that during an upgrade or after a
// rollback neither release takes the other's note for another boot's. When such a dualnet
// noted a later boot, boot-netns still names the earlier one, and counts as no note at all.
// On a kernel without namespace cookies (before Linux 5.14) only the boot is noted.

func (s *Store) bootPath() string  { return filepath.Join(s.dir, "boot") }
func (s *Store) netnsPath() string { return filepath.Join(s.dir, "boot-netns") }

// What the store's note says of the running boot.
type note int

const (
	noteCurrent note = iota // this boot's and namespace's
	noteMissing             // none, or of this boot without the namespace: nothing to release
	noteEarlier             // another boot's or namespace's
)

func (s *Store) readNote(now nodeboot.Now) (note, error) {
	data, err := os.ReadFile(s.bootPath())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A new store, or one from a dualnet that noted no boots: nothing tells which
		// records are stale, so they all stay, and from now on the boot is noted.
		return noteMissing, nil
	case err != nil:
		return 0, fmt.Errorf("address store %s: %w", s.dir, err)
	case strings.TrimSpace(string(data)) != now.Boot:
		return noteEarlier, nil
	case now.Netns == "":
		return noteCurrent, nil // a kernel without namespace cookies: only the boot is told
	}
	data, err = os.ReadFile(s.netnsPath())
	if errors.Is(err, fs.ErrNotExist) {
		return noteMissing, nil // a dualnet that noted no namespace wrote this boot's records
	}
	if err != nil {
		return 0, fmt.Errorf("address store %s: %w", s.dir, err)
	}
	boot, netns, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
	switch {
	case boot != now.Boot:
		return noteMissing, nil // left by an earlier boot, noted since by such a dualnet
	case netns != now.Netns:
		return noteEarlier, nil
	}
	return noteCurrent, nil
}

// forgetEarlierBoot runs under the lock before an allocation. It returns the attachments it
// released.
func (s *Store) forgetEarlierBoot() ([]Key, error) {
	now, ok := nodeboot.Read() // the caller runs in the node's namespace
	if !ok {
		// No boot to compare (no /proc): the records stay until DEL or GC, as they would
		// without this.
		return nil, nil
	}
	state, err := s.readNote(now)
	if err != nil || state == noteCurrent {
		return nil, err
	}
	var released []Key
	if state == noteEarlier {
		// The note files are replaced atomically, so a torn write can never pass for
		// another boot and release the pods of this one.
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
	}
	// Noted only after the release, the namespace before the boot: a plugin killed in
	// between leaves a note of the earlier boot, and the next allocation releases what is
	// left.
	if now.Netns != "" {
		if err := atomicfile.Write(s.netnsPath(), []byte(now.Boot+" "+now.Netns+"\n"), 0o600); err != nil {
			return released, fmt.Errorf("address store %s: note the network namespace: %w", s.dir, err)
		}
	}
	if err := atomicfile.Write(s.bootPath(), []byte(now.Boot+"\n"), 0o600); err != nil {
		return released, fmt.Errorf("address store %s: note the boot: %w", s.dir, err)
	}
	return released, nil
}

// ForgetEarlierBoot releases what the pods of an earlier boot hold now rather than at the
// next allocation, and returns their attachments. Like Allocate, it must run in the node's
// network namespace. The agent calls it when it starts, so that the address usage it reports
// is right on a node that starts no pod for a while.
func (s *Store) ForgetEarlierBoot() ([]Key, error) {
	unlock, err := lock(s.lockPath())
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.forgetEarlierBoot()
}
