package lab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startProcess starts a lab component detached from the caller (its own session, output in
// a log file in the state directory) so that it outlives `dualnet lab up`, and records its
// PID before returning. The caller reaps it if it exits while the caller still runs.
func startProcess(st *State, name, path string, args []string) (Process, error) {
	logDir := filepath.Join(st.Dir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return Process{}, err
	}
	logPath := filepath.Join(logDir, name+".log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return Process{}, fmt.Errorf("start %s: %w", name, err)
	}
	defer log.Close()
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Dir = st.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return Process{}, fmt.Errorf("start %s (%s): %w", name, path, err)
	}
	go func() { _ = cmd.Wait() }() // reap it if it dies while Up still runs
	start, err := processStartTime(cmd.Process.Pid)
	if err != nil {
		return Process{}, fmt.Errorf("start %s: %w", name, err)
	}
	p := Process{Name: name, PID: cmd.Process.Pid, StartTime: start, Log: logPath}
	return p, st.addProcess(p)
}

// processStartTime is field 22 of /proc/<pid>/stat: the start time in clock ticks since boot,
// which together with the PID names one process for the machine's uptime.
func processStartTime(pid int) (uint64, error) {
	fields, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	if len(fields) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// procStat is /proc/<pid>/stat from field 3 (the state) on. The command name (field 2) may
// hold spaces and parentheses; fields resume after the last ')'.
func procStat(pid int) ([]string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	s := string(data)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:]), nil
}

// alive says whether the recorded process still runs (and is not a zombie).
func (p Process) alive() bool {
	start, err := processStartTime(p.PID)
	if err != nil || start != p.StartTime {
		return false
	}
	fields, err := procStat(p.PID)
	return err == nil && len(fields) > 0 && fields[0] != "Z"
}

// stop ends the recorded process, politely first: SIGTERM, then SIGKILL after the grace
// period. A PID now used by another process is left alone.
func (p Process) stop(grace time.Duration) error {
	if !p.alive() {
		return nil
	}
	if err := syscall.Kill(p.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s (pid %d): %w", p.Name, p.PID, err)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !p.alive() {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	if p.alive() {
		if err := syscall.Kill(p.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("kill %s (pid %d): %w", p.Name, p.PID, err)
		}
	}
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if !p.alive() {
			return nil
		}
	}
	return fmt.Errorf("%s (pid %d) still runs after SIGKILL", p.Name, p.PID)
}
