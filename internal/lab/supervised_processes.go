package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/dualnet/dualnet/internal/netns"
)

// component is a dualnet process the supervisor runs (controller, armemu, one agent and one
// lab node per node).
type component struct {
	Name string
	Path string
	Args []string
	// Node, for a lab node, is the Node it registers. The supervisor waits for it to have its
	// pod CIDRs before starting the next node, so that node i gets block i, as in the article.
	Node string
	// ReadyFile, when set, is a file the component writes once it serves; the supervisor waits
	// for it before starting the next component.
	ReadyFile string
	// Netns, when set, is the lab namespace the process is born in, for a program that has no
	// --netns of its own (kube-proxy); the others run in the host's and are given --netns, or
	// enter a node with nsenter (nodeMachine.command).
	Netns string
	// Env, when set, is the process's whole environment; empty means the supervisor's.
	Env []string
	// BeforeStop, when set, runs before the supervisor stops the component at the lab's end
	// (a node's containerd removes its pods first); its error is reported, not fatal.
	BeforeStop func() error
}

// children runs the lab's components, restarts one that exits (as a kubelet or systemd would,
// with a growing pause), and records every PID in the state.
type children struct {
	st       *State
	progress *progressLog
	mu       sync.Mutex
	running  map[string]*exec.Cmd
	exits    map[string]int // how often each component exited, for crash-loop detection
	wg       sync.WaitGroup
	// pods, once set, also finds the cluster's own pods (dualnet, kube-proxy) crash-looping.
	pods *podWatch
}

func newChildren(st *State, progress *progressLog) *children {
	return &children{st: st, progress: progress, running: map[string]*exec.Cmd{}, exits: map[string]int{}}
}

// start launches c and keeps it running until ctx ends.
func (cs *children) start(ctx context.Context, c component) error {
	if err := cs.launch(c); err != nil {
		return err
	}
	cs.wg.Add(1)
	go cs.keep(ctx, c)
	return nil
}

func (cs *children) launch(c component) error {
	logPath := filepath.Join(cs.st.Dir, "logs", c.Name+".log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return err
	}
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("start %s: %w", c.Name, err)
	}
	defer log.Close()
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Dir = cs.st.Dir
	cmd.Env = c.Env
	// Its own process group (a Ctrl-C reaches the supervisor only, which stops things in
	// order); killed by the kernel if the supervisor dies without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := startIn(c.Netns, cmd); err != nil {
		return fmt.Errorf("start %s (%s): %w", c.Name, c.Path, err)
	}
	start, err := processStartTime(cmd.Process.Pid)
	if err != nil {
		return fmt.Errorf("start %s: %w", c.Name, err)
	}
	cs.mu.Lock()
	cs.running[c.Name] = cmd
	cs.mu.Unlock()
	return cs.st.addProcess(Process{Name: c.Name, PID: cmd.Process.Pid, StartTime: start, Log: logPath})
}

// startIn starts cmd in the named namespace, or in the caller's when name is empty. A child is
// born in the namespace of the thread that forks it. That thread outlives the start (netns.Do
// switches it back and returns it to the runtime), which Pdeathsig needs: the kernel sends it
// when the forking thread ends, not the process.
func startIn(name string, cmd *exec.Cmd) error {
	if name == "" {
		return cmd.Start()
	}
	return netns.Do(name, cmd.Start)
}

func (cs *children) keep(ctx context.Context, c component) {
	defer cs.wg.Done()
	const firstPause = time.Second
	pause := firstPause
	for {
		cs.mu.Lock()
		cmd := cs.running[c.Name]
		cs.mu.Unlock()
		started := time.Now()
		err := cmd.Wait()
		if ctx.Err() != nil {
			return
		}
		cs.mu.Lock()
		cs.exits[c.Name]++
		cs.mu.Unlock()
		if time.Since(started) > time.Minute {
			pause = firstPause // it ran well for a while: a new failure starts the backoff over
		}
		cs.progress.printf("%s exited (%v); restarting in %s (log: %s)", c.Name, err, pause, filepath.Join(cs.st.Dir, "logs", c.Name+".log"))
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		if pause < 30*time.Second {
			pause *= 2
		}
		if err := cs.launch(c); err != nil {
			cs.progress.printf("%v", err)
			return
		}
	}
}

// stopAll ends every component, newest first, by PID. The caller has ended ctx so that none
// is restarted.
func (cs *children) stopAll(order []component) {
	for i := len(order) - 1; i >= 0; i-- {
		c := order[i]
		if c.BeforeStop != nil {
			if err := c.BeforeStop(); err != nil {
				cs.progress.printf("%v", err)
			}
		}
		if p, ok := cs.st.process(c.Name); ok {
			_ = p.stop(10 * time.Second)
		}
	}
	cs.wg.Wait()
}

// crashLoop names a component that keeps exiting, with the end of its log, so that `lab up`
// fails with the reason instead of waiting out its timeout.
func (cs *children) crashLoop() error {
	if err := cs.pods.crashLoop(); err != nil {
		return err
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for name, n := range cs.exits {
		if n >= 3 {
			log := filepath.Join(cs.st.Dir, "logs", name+".log")
			return fmt.Errorf("%s exited %d times; the end of its log (%s):\n%s", name, n, filepath.Base(log), tail(log, 15))
		}
	}
	return nil
}
