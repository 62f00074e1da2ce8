package podipam

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strings"
	"syscall"
)

// lock takes the store's exclusive flock; the kernel drops it if the process dies.
func lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open address store lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock address store %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// readOwner reads the attachment a reservation names: false when there is no reservation,
// or one that names none (a plugin killed between creating the file and writing it). Any
// other failure to read it is an error, never "no owner": the reservation may be a live
// pod's, and a caller that took it for unowned would free its address for another pod.
func readOwner(path string) (Key, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Key{}, false, nil
	}
	if err != nil {
		return Key{}, false, fmt.Errorf("read reservation: %w", err)
	}
	k, ok := parseKey(strings.TrimSpace(string(data)))
	return k, ok, nil
}

// parseRecord reads a record: its addresses, and the attachment its last line names (a
// record written before that line existed has none; its name says it).
func parseRecord(data []byte) (addrs []netip.Addr, k Key, named bool) {
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, attachmentLine); ok {
			k, named = parseKey(rest)
		} else if a, err := netip.ParseAddr(strings.TrimSpace(line)); err == nil {
			addrs = append(addrs, a)
		}
	}
	return addrs, k, named
}

// formatRecord writes k's record: its addresses one a line, then the attachment line. An
// older dualnet reading it skips the line, which is no address.
func formatRecord(k Key, addrs []netip.Addr) []byte {
	var b strings.Builder
	for _, a := range addrs {
		b.WriteString(a.String())
		b.WriteByte('\n')
	}
	b.WriteString(attachmentLine + k.String() + "\n")
	return []byte(b.String())
}

func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("read address store %s: %w", dir, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("read address store %s: %w", dir, err)
	}
	return names, nil
}
