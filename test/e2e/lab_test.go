//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// testLab is one `dualnet lab` for a test, under a name of its own.
type testLab struct {
	t           *testing.T
	name        string
	stateRoot   string
	kubeconfig  string
	upTime      time.Duration
	clientPorts int // how many source ports clientIPs used, from firstClientPort up
}

// dualnet runs the CLI built for this run.
func (l *testLab) dualnet(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "dualnet"), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// keptLogsMark is how a failed `lab up` names the copy of the lab's logs it kept.
const keptLogsMark = "the lab's logs are kept in "

// keptLogsDir is the directory a failed `lab up` that said out kept the lab's logs in; "" if
// it named none.
func keptLogsDir(out string) string {
	_, after, ok := strings.Cut(out, keptLogsMark)
	if f := strings.Fields(after); ok && len(f) > 0 {
		return f[0]
	}
	return ""
}

// upFailureLogs is the end of the logs a failed `lab up` that said out kept: those its failure
// names ("see the logs of kubelet-…, containerd-… and dualnet-controller"), else the
// supervisor's. A run in CI then shows why the lab did not come up; the callers print it
// before lab up's output, which ends the excerpt CI shows. It removes the copy when the test
// ends.
func upFailureLogs(t *testing.T, out string) string {
	dir := keptLogsDir(out)
	if dir == "" {
		return ""
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	names := []string{"supervisor"}
	if _, named, ok := strings.Cut(out, "see the logs of "); ok {
		named, _, _ = strings.Cut(named, "\n")
		names = strings.FieldsFunc(strings.ReplaceAll(named, " and ", ","), func(r rune) bool { return r == ',' || r == ' ' })
	}
	var b strings.Builder
	for _, name := range names {
		// A component's log, or a pod's container's (pods/<node>/<pod>/<container>/<n>.log).
		paths, _ := filepath.Glob(filepath.Join(dir, "pods", "*", "*", name, "*.log"))
		paths = append([]string{filepath.Join(dir, name+".log")}, paths...)
		for _, path := range paths {
			data, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
			lines = lines[max(0, len(lines)-15):]
			rel, _ := filepath.Rel(dir, path)
			fmt.Fprintf(&b, "\n--- the end of %s:\n%s", rel, strings.Join(lines, "\n"))
		}
	}
	return b.String()
}

func (l *testLab) labArgs(sub string, args ...string) []string {
	return append([]string{"lab", sub, "--name=" + l.name, "--state-root=" + l.stateRoot}, args...)
}

// startLab runs `dualnet lab up` (3 nodes; flags may change that and add others) and
// registers `dualnet lab down` and the leftovers check.
func startLab(t *testing.T, routes string, flags ...string) *testLab {
	l := &testLab{t: t, name: fmt.Sprintf("dn-e2e%d", os.Getpid()), stateRoot: "/run/dualnet-lab"}
	t.Cleanup(func() { l.down() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := l.dualnet(ctx, l.labArgs("up", append([]string{"--nodes=3", "--routes=" + routes, "--bin-dir=" + binDir}, flags...)...)...)
	l.upTime = time.Since(start)
	if err != nil {
		t.Fatalf("dualnet lab up (%.1fs): %v%s\n--- lab up said:\n%s", l.upTime.Seconds(), err, upFailureLogs(t, out), out)
	}
	t.Logf("dualnet lab up (%.1fs):\n%s", l.upTime.Seconds(), out)
	kc, err := l.dualnet(ctx, l.labArgs("kubeconfig")...)
	if err != nil {
		t.Fatalf("dualnet lab kubeconfig: %v\n%s", err, kc)
	}
	if !strings.Contains(kc, "apiVersion: v1") || !strings.Contains(kc, "clusters:") {
		t.Fatalf("dualnet lab kubeconfig printed no kubeconfig:\n%s", kc)
	}
	l.kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(l.kubeconfig, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return l
}

// kubectl runs kubectl with the lab's kubeconfig, as a user who exported KUBECONFIG would.
func (l *testLab) kubectl(args ...string) string {
	l.t.Helper()
	out, err := l.kubectlErr(args...)
	if err != nil {
		l.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (l *testLab) kubectlErr(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlPath, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+l.kubeconfig)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if err != nil {
		return out.String() + stderr.String(), err
	}
	return out.String(), nil
}

// exec runs a command in a lab namespace or pod with `dualnet lab exec`.
func (l *testLab) exec(target string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return l.dualnet(ctx, l.labArgs("exec", append([]string{target, "--"}, args...)...)...)
}

// down runs `dualnet lab down` once and checks that nothing of the lab is left.
func (l *testLab) down() {
	if l.name == "" {
		return
	}
	t := l.t
	if t.Failed() {
		l.keepLogs()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := l.dualnet(ctx, l.labArgs("down")...)
	t.Logf("dualnet lab down:\n%s", out)
	if err != nil {
		t.Errorf("dualnet lab down: %v", err)
	}
	for _, left := range leftovers(l.name, filepath.Join(l.stateRoot, l.name)) {
		t.Errorf("lab down left %s behind", left)
	}
	l.name = ""
}

// leftovers lists the lab's namespaces, state files and processes still on the machine.
func leftovers(name, stateDir string) []string {
	var left []string
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), name+"-") {
			left = append(left, "network namespace "+e.Name())
		}
	}
	if _, err := os.Stat(stateDir); err == nil {
		left = append(left, "state directory "+stateDir)
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mounts), "\n") {
		if strings.Contains(line, stateDir+"/") {
			left = append(left, "mount "+line)
		}
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		cmdline, err := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.ReplaceAll(string(cmdline), "\x00", " ")
		exe, _ := os.Readlink(filepath.Join("/proc", p.Name(), "exe"))
		if strings.HasPrefix(exe, binDir+"/") && !strings.Contains(args, " lab down ") {
			left = append(left, fmt.Sprintf("process %s (%s): %s", p.Name(), exe, args))
			continue
		}
		if strings.Contains(args, stateDir+"/") || strings.Contains(args, "--name="+name+" ") || strings.Contains(args, "/run/netns/"+name+"-") {
			left = append(left, fmt.Sprintf("process %s: %s", p.Name(), args))
		}
	}
	return left
}

// eventually polls check until it returns nil or the deadline passes.
func eventually(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	if err := poll.Until(timeout, 200*time.Millisecond, check); err != nil {
		t.Fatalf("%s: not within %s: %v", what, timeout, err)
	}
}

// routeMode is how the e2e lab routes between nodes: the Azure code path (dualnet-controller
// -> armemu -> the vnet's route table).
const routeMode = "azure"

// vnetHostAddrs are vnet-host's addresses, IPv4 first, as `ip` in its namespace shows them.
func (l *testLab) vnetHostAddrs() []netip.Addr {
	return l.globalAddrs("vnet-host")
}

// background runs a command in a lab namespace until the returned function stops it.
func (l *testLab) background(target string, args ...string) func() {
	if args[0] == "dualnet" {
		args[0] = filepath.Join(binDir, "dualnet")
	}
	cmd := exec.Command(filepath.Join(binDir, "dualnet"), l.labArgs("exec", append([]string{target, "--"}, args...)...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		l.t.Fatal(err)
	}
	return func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		l.t.Logf("%s in %s said:\n%s", strings.Join(args, " "), target, out.String())
	}
}

// keepLogs keeps every log of the lab, before down removes them, under
// _artifacts/e2e/<test>/, and says where: printed in the test's output, they would push the
// failure itself out of the excerpt CI shows.
func (l *testLab) keepLogs() {
	root := filepath.Join(l.stateRoot, l.name)
	dest, err := filepath.Abs(filepath.Join("..", "..", "_artifacts", "e2e", strings.ReplaceAll(l.t.Name(), "/", "_")))
	if err == nil {
		err = os.RemoveAll(dest)
	}
	if err != nil {
		l.t.Errorf("keeping the lab's logs: %v", err)
		return
	}
	kept := 0
	var errs []error
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		// A node's machine paths hold containerd's state (FIFOs among it) and images: only
		// its pods' logs are worth keeping there.
		if err == nil && d.IsDir() && strings.HasSuffix(filepath.Dir(path), "/root") && d.Name() != "var" {
			return filepath.SkipDir
		}
		if err != nil || !d.Type().IsRegular() || !strings.HasSuffix(path, ".log") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // the lab is still up: a pod's log may go as it is listed
		}
		if err == nil {
			err = os.MkdirAll(filepath.Dir(filepath.Join(dest, rel)), 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dest, rel), data, 0o644)
		}
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		kept++
		return nil
	})
	if err := errors.Join(errs...); err != nil {
		l.t.Errorf("keeping the lab's logs: %v", err)
	}
	l.t.Logf("the lab's %d logs are kept in %s", kept, dest)
}

// nodeDir is a node's directory in the lab's state: its machine paths are under root/.
func (l *testLab) nodeDir(node string) string {
	return filepath.Join(l.stateRoot, l.name, "nodes", node)
}

// processPID is the PID the lab's state records for one of its processes.
func (l *testLab) processPID(name string) int {
	data, err := os.ReadFile(filepath.Join(l.stateRoot, l.name, "state.json"))
	if err != nil {
		l.t.Fatal(err)
	}
	var st struct {
		Processes []struct {
			Name string `json:"name"`
			PID  int    `json:"pid"`
		} `json:"processes"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		l.t.Fatal(err)
	}
	for _, p := range st.Processes {
		if p.Name == name {
			return p.PID
		}
	}
	l.t.Fatalf("the lab's state records no process %s", name)
	return 0
}
