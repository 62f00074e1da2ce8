package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A lab's processes are found by what they are, not only by what its state records: the
// record can be late (a process started between two saves), lost (a state file deleted by
// hand) or stale (a supervisor of an earlier lab of the same name that nobody stopped).
//
// A process belongs to the lab whose directory is dir when it runs without a controlling
// terminal and its command line names dir or a path in it (the supervisor's
// `--state-dir <dir>`, etcd's data directory, a kubelet's configuration, nsenter's node
// namespaces) or its working directory is in dir (every process the lab starts runs there,
// and their children inherit it). The terminal rule leaves alone a user's shell or `less` of a
// log in the lab's directory; the lab runs in sessions of its own (startProcess) and has no
// terminal. What runs in the lab's namespaces is found by them (processesIn, nodeProcesses).

// foundProcess is a process of the lab found on the machine.
type foundProcess struct {
	Process
	Cmdline string
	// Supervisor: a `dualnet lab supervise --state-dir <dir>`, which stops the rest in order.
	Supervisor bool
}

func (p foundProcess) String() string {
	if p.Supervisor {
		return fmt.Sprintf("its supervisor, pid %d (`%s`)", p.PID, p.Cmdline)
	}
	return fmt.Sprintf("pid %d (`%s`)", p.PID, p.Cmdline)
}

// findLabProcesses lists the processes that belong to the lab in dir, supervisors first. The
// caller and its ancestors (a shell whose working directory is the lab's) are never among them.
func findLabProcesses(dir string) []foundProcess {
	dir = filepath.Clean(dir)
	skip := map[int]bool{}
	for pid := os.Getpid(); pid > 1 && !skip[pid]; {
		skip[pid] = true
		ppid, ok := parentOf(pid)
		if !ok {
			break
		}
		pid = ppid
	}
	entries, _ := os.ReadDir("/proc")
	var out []foundProcess
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || skip[pid] {
			continue
		}
		fields, err := procStat(pid)
		// fields[0] is the state, fields[4] tty_nr (proc_pid_stat(5)): zombies are gone
		// already, and a process on a terminal is a user's.
		if err != nil || len(fields) < 20 || fields[0] == "Z" || fields[4] != "0" {
			continue
		}
		args := commandArgs(pid)
		if len(args) == 0 {
			continue // a kernel thread, or gone
		}
		cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
		if !slices.ContainsFunc(args, func(a string) bool { return namesPathIn(a, dir) }) && !inDir(strings.TrimSuffix(cwd, " (deleted)"), dir) {
			continue
		}
		start, err := strconv.ParseUint(fields[19], 10, 64)
		if err != nil {
			continue
		}
		cmdline := shortCommand(args)
		out = append(out, foundProcess{
			Process:    Process{Name: "`" + cmdline + "` found by the lab's directory", PID: pid, StartTime: start},
			Cmdline:    cmdline,
			Supervisor: isSupervisor(args, dir),
		})
	}
	slices.SortStableFunc(out, func(a, b foundProcess) int {
		switch {
		case a.Supervisor == b.Supervisor:
			return 0
		case a.Supervisor:
			return -1
		default:
			return 1
		}
	})
	return out
}

// namesPathIn says whether a command-line argument names dir or a path in it, alone or as the
// value of an option (--data-dir=<dir>/etcd, --mount=<dir>/nodes/n/ns/mnt, a list a,b, a URL
// unix://<dir>/x).
func namesPathIn(arg, dir string) bool {
	for _, part := range strings.FieldsFunc(arg, func(r rune) bool { return r == '=' || r == ',' || r == ':' }) {
		if strings.HasPrefix(part, "/") && inDir(filepath.Clean(part), dir) {
			return true
		}
	}
	return false
}

// inDir says whether path is dir or below it; /run/dualnet-lab/a2 is not in /run/dualnet-lab/a.
func inDir(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// isSupervisor recognises the command line startSupervisor gives: `... lab supervise
// --state-dir <dir>`.
func isSupervisor(args []string, dir string) bool {
	i := slices.Index(args, "supervise")
	if i < 1 || args[i-1] != "lab" {
		return false
	}
	rest := args[i+1:]
	for j, a := range rest {
		if a == "--state-dir="+dir || (a == "--state-dir" && j+1 < len(rest) && filepath.Clean(rest[j+1]) == dir) {
			return true
		}
	}
	return false
}

// commandArgs is a process's command line; none for a kernel thread or a process that is gone.
func commandArgs(pid int) []string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(raw) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
}

// processName is a process's command line for a message, short, or its command name when it
// has none (a process exiting, whose memory is gone already).
func processName(pid int) string {
	if args := commandArgs(pid); len(args) > 0 {
		return shortCommand(args)
	}
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return "[" + strings.TrimSpace(string(comm)) + "]"
}

// shortCommand is a command line short enough for a message.
func shortCommand(args []string) string {
	s := strings.Join(args, " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
