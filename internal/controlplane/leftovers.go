package controlplane

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// dirPattern names control plane directories; ownerFile in each holds the PID of the process
// that started it and its PID namespace (a PID means nothing in another namespace).
const (
	dirPattern = "dualnet-controlplane-"
	ownerFile  = "owner.pid"
)

func writeOwner(dir string) error {
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner(os.Getpid())), 0o600)
}

func owner(pid int) string { return strconv.Itoa(pid) + " " + pidNamespace() }

// pidNamespace identifies this process's PID namespace, like "pid:[4026531836]".
func pidNamespace() string {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return "unknown"
	}
	return ns
}

// removeLeftovers removes the directories of control planes whose owner has died without
// calling Stop (SIGKILL, a test timeout). Their components died with the owner (Pdeathsig), so
// only files remain. Directories of live owners, or without an owner file, are not touched.
func removeLeftovers(parent string) {
	if parent == "" {
		parent = os.TempDir()
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), dirPattern) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(data))
		if len(fields) != 2 || fields[1] != pidNamespace() {
			continue // not ours to judge: written by a process in another PID namespace
		}
		pid, err := strconv.Atoi(fields[0])
		if err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(dir)
		}
	}
}
