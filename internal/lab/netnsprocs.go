package lab

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/dualnet/dualnet/internal/netns"
)

// processesIn lists the PIDs of processes whose network namespace is one of the named ones:
// workloads a lab node started in a pod, or anything a user ran with `lab exec` and left.
func processesIn(namespaces []string) []int {
	inodes := map[uint64]bool{}
	for _, name := range namespaces {
		var st syscall.Stat_t
		if err := syscall.Stat(netns.Path(name), &st); err == nil {
			inodes[st.Ino] = true
		}
	}
	if len(inodes) == 0 {
		return nil
	}
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st); err != nil {
			continue
		}
		if inodes[st.Ino] {
			pids = append(pids, pid)
		}
	}
	return pids
}
