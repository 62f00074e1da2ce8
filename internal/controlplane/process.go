package controlplane

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// stopGrace is how long a component gets to shut down on SIGTERM before it is killed.
const stopGrace = 10 * time.Second

// process is one control-plane component that this package started; its output goes to a log
// file so that a failure can show what the component said.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed
}

func startProcess(netns nodens.Namespace, name, path string, args []string, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group: a Ctrl-C in the terminal reaches only the test or lab, which
		// then stops the components in order.
		Setpgid: true,
		// If the parent dies without stopping it (SIGKILL, test timeout), the kernel ends the
		// component instead of leaving it holding ports and files.
		Pdeathsig: syscall.SIGKILL,
	}
	// Born in netns: a child starts in the namespace of the thread that forks it (which
	// returns to the runtime afterwards and lives on, as Pdeathsig needs).
	if err := netns.Do(cmd.Start); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, path, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends this process (and only it, by its PID): SIGTERM, then SIGKILL after stopGrace.
func (p *process) stop() error {
	if p.exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s (pid %d): %w", p.name, p.cmd.Process.Pid, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s (pid %d): %w", p.name, p.cmd.Process.Pid, err)
	}
	<-p.done
	return nil
}

// failure describes why the component is not usable, with the end of its log.
func (p *process) failure(reason string) error {
	state := "still running"
	if p.exited() {
		state = fmt.Sprintf("exited: %v", p.waitErr)
	}
	// The log itself goes when the failed start cleans up, so the error carries its end.
	return fmt.Errorf("%s (pid %d) %s, %s; the end of its log:\n%s",
		p.name, p.cmd.Process.Pid, reason, state, logTail(p.logPath, 40))
}

// logTail returns the last n lines of a log file, indented so they stand out in test output.
func logTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "    (log unreadable: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString("    ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
