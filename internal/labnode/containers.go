package labnode

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
	"github.com/dualnet/dualnet/internal/labnode/workload"
)

// container is one container of a pod: a built-in workload process in the pod's namespace,
// or the reason it cannot run.
type container struct {
	name, image string
	unknown     bool // the image is not built in: it waits, forever, with a clear reason
	cmd         *exec.Cmd
	startedAt   time.Time
	done        chan struct{}
	exit        *exitInfo
	restarts    int32
	lastExit    *exitInfo
}

type exitInfo struct {
	code     int32
	reason   string
	started  time.Time
	finished time.Time
}

func newContainer(spec corev1.Container) *container {
	return &container{name: spec.Name, image: spec.Image, unknown: workload.Builtin(spec.Image) == ""}
}

func (c *container) running() bool { return c.cmd != nil && c.exit == nil }

// start runs `dualnet lab workload` on a thread inside the pod's namespace, so the workload
// process is born there; it dies with this process (Pdeathsig) if the lab node is killed.
// The caller holds mu, which guards the container's fields; onExit is called (without mu)
// when the process ends.
func (c *container) start(cfg Config, pod *corev1.Pod, netnsPath string, spec corev1.Container, mu *sync.Mutex, onExit func()) error {
	logDir := filepath.Join(cfg.PodsDir(), fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, pod.UID))
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(logDir, c.name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	args := []string{"lab", "workload", "--image=" + spec.Image, "--hostname=" + pod.Name, "--"}
	args = append(append(args, spec.Command...), spec.Args...)
	cmd := exec.Command(cfg.Self, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = nodens.At(netnsPath).Do(cmd.Start)
	if err != nil {
		return fmt.Errorf("start container %s: %w", c.name, err)
	}
	if c.exit != nil {
		c.lastExit = c.exit
		c.restarts++
	}
	c.cmd, c.exit, c.startedAt, c.done = cmd, nil, time.Now().Truncate(time.Second), make(chan struct{})
	started, done := c.startedAt, c.done
	go func() {
		err := cmd.Wait()
		info := &exitInfo{code: 0, reason: "Completed", started: started, finished: time.Now().Truncate(time.Second)}
		if err != nil {
			info.code, info.reason = 1, "Error"
			if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() >= 0 {
				info.code = int32(ee.ExitCode())
			}
		}
		mu.Lock()
		c.exit = info
		mu.Unlock()
		close(done)
		onExit()
	}()
	return nil
}

// stop ends the workload: SIGTERM, then SIGKILL after the grace period. The caller must not
// hold the mutex given to start (the exit goroutine takes it).
func (c *container) stop(grace time.Duration) {
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}
