package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/testutil/syncbuf"
)

var (
	buildOnce sync.Once
	buildDir  string // removed by TestMain
	binary    string
	buildErr  error
)

// controllerBinary builds this command once per test binary.
func controllerBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "dualnet-controller-test-")
		if buildErr != nil {
			return
		}
		binary = filepath.Join(buildDir, "dualnet-controller")
		// go test puts its own GOROOT/bin first in the test's PATH.
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build dualnet-controller: %v", buildErr)
	}
	return binary
}

// controllerProcess is a dualnet-controller subprocess.
type controllerProcess struct {
	t          testing.TB
	cmd        *exec.Cmd
	healthAddr string
	log        *syncbuf.Buffer
	exited     chan struct{}
}

// fastLease makes a replica take over a dead leader's Lease within about five seconds, while a
// leader on a busy machine still renews in time.
var fastLease = []string{"--leader-elect-lease-duration=5s", "--leader-elect-renew-deadline=4s", "--leader-elect-retry-period=500ms"}

// startProcess starts the controller against the test API server; it is stopped (SIGTERM,
// which hands the Lease over) when the test ends, if it is still running.
func startProcess(t testing.TB, args ...string) *controllerProcess {
	t.Helper()
	p := &controllerProcess{t: t, healthAddr: freeAddr(t), log: &syncbuf.Buffer{}, exited: make(chan struct{})}
	args = append([]string{"--kubeconfig", kubetest.KubeconfigPath(), "--health-addr", p.healthAddr,
		"--kube-api-qps=500", "--kube-api-burst=1000", "-v=2"}, args...)
	p.cmd = exec.Command(controllerBinary(t), args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start dualnet-controller: %v", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM)
		if t.Failed() {
			t.Logf("dualnet-controller (pid %d) log:\n%s", p.cmd.Process.Pid, p.log.String())
		}
	})
	return p
}

// stop sends the signal and waits for the process to exit (SIGKILL after 20s).
func (p *controllerProcess) stop(sig syscall.Signal) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// metric reads one sample of the process's /metrics (the line starting with name, labels
// included), or false if it is not there.
func (p *controllerProcess) metric(name string) (float64, bool) {
	resp, err := http.Get("http://" + p.healthAddr + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	scanner := bufio.NewScanner(resp.Body)
	for scanner.Scan() {
		line := scanner.Text()
		if strings.HasPrefix(line, name+" ") {
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, name)), 64)
			return v, err == nil
		}
	}
	return 0, false
}

// get returns the status code of a health endpoint, 0 if unreachable.
func (p *controllerProcess) get(path string) int {
	resp, err := http.Get("http://" + p.healthAddr + path)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func (p *controllerProcess) leading() bool {
	v, ok := p.metric("dualnet_controller_leader")
	return ok && v == 1
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// runToExit runs the binary to completion with a deadline and returns its exit code and output.
func runToExit(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, controllerBinary(t), args...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("dualnet-controller %v did not exit within 30s:\n%s", args, out)
	}
	if exitErr, ok := err.(*exec.ExitError); ok {
		return exitErr.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("run dualnet-controller: %v", err)
	}
	return 0, string(out)
}
