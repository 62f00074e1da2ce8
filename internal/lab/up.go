package lab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dualnet/dualnet/internal/netns"
)

// UpTimeout bounds `lab up` once the binaries are there.
const UpTimeout = 3 * time.Minute

// Up checks everything the lab needs before creating anything, then starts the supervisor
// detached and shows its progress until the lab is ready. It refuses to start over a lab of
// the same name that is still there. On failure it removes whatever was made (Down), keeping a
// copy of the lab's logs (keepLogs), and returns the reason.
func Up(ctx context.Context, cfg Config, out io.Writer) error {
	if err := preflight(cfg, out); err != nil {
		return err
	}
	st, supervisor, err := create(cfg, out)
	if err != nil {
		return err
	}
	if err := waitReady(ctx, st, supervisor, out); err != nil {
		fmt.Fprintf(out, "lab up failed; removing what it made:\n")
		kept, cleanErr := cleanUp(cfg, supervisor, out)
		if kept != "" {
			err = fmt.Errorf("%w\nthe lab's logs are kept in %s", err, kept)
		}
		return errors.Join(err, cleanErr)
	}
	return nil
}

// create makes the lab's directory and starts its supervisor, under the lab's lock, once
// nothing of a lab of that name is found (checkNotRunning). When it fails after creating
// anything, it removes that before releasing the lock.
func create(cfg Config, out io.Writer) (*State, Process, error) {
	lock, err := lockLab(cfg.StateRoot, cfg.Name, out)
	if err != nil {
		return nil, Process{}, err
	}
	if err := checkNotRunning(cfg.StateRoot, cfg.Name); err != nil {
		lock.release()
		return nil, Process{}, err
	}
	st, err := newState(cfg.StateRoot, cfg.Name)
	if err != nil {
		lock.release()
		return nil, Process{}, err
	}
	var supervisor Process
	err = cfg.save()
	if err == nil {
		supervisor, err = startSupervisor(st)
	}
	if err != nil {
		fmt.Fprintf(out, "lab up failed; removing what it made:\n")
		return nil, Process{}, errors.Join(err, downLocked(lock, cfg.StateRoot, cfg.Name, out))
	}
	lock.release()
	return st, supervisor, nil
}

// checkNotRunning finds what is left of a lab of the name: its state directory, its
// processes (findLabProcesses) and its network namespaces, and names them with the command
// that removes them.
func checkNotRunning(root, name string) error {
	dir := filepath.Join(root, name)
	var found []string
	for _, p := range findLabProcesses(dir) {
		found = append(found, p.String())
	}
	entries, _ := os.ReadDir(netns.Dir)
	for _, e := range entries {
		if (Names{Lab: name}).Owns(e.Name()) {
			found = append(found, "network namespace "+e.Name())
		}
	}
	if _, err := os.Lstat(dir); err == nil {
		found = append(found, "its state directory "+dir)
	}
	if len(found) == 0 {
		return nil
	}
	return fmt.Errorf("lab %q is still running (%s): remove it with `%s`", name, strings.Join(found, "; "), downCommand(root, name))
}

// downCommand is the command that removes the lab.
func downCommand(root, name string) string {
	cmd := "dualnet lab down --name " + name
	if filepath.Clean(root) != DefaultStateRoot {
		cmd += " --state-root " + root
	}
	return cmd
}

// cleanUp removes what a failed Up made, unless the lab was taken down (`lab down` while it
// started) and another `lab up` of the name started since: that lab is not this Up's to remove.
// Before removing it copies the lab's logs out (keepLogs) and returns where, so that the
// failure's "see the logs of" still points at files.
func cleanUp(cfg Config, supervisor Process, out io.Writer) (kept string, err error) {
	lock, err := lockLab(cfg.StateRoot, cfg.Name, out)
	if err != nil {
		return "", err
	}
	cur, err := LoadState(cfg.Dir())
	switch {
	case err == nil:
		if p, ok := cur.process("supervisor"); !ok || p.PID != supervisor.PID || p.StartTime != supervisor.StartTime {
			lock.release()
			fmt.Fprintf(out, "lab %q was taken down and started again meanwhile: leaving that lab alone\n", cfg.Name)
			return "", nil
		}
	case errors.Is(err, fs.ErrNotExist):
		if _, err := os.Stat(cfg.Dir()); errors.Is(err, fs.ErrNotExist) {
			return "", errors.Join(fmt.Errorf("lab %q was taken down (`dualnet lab down`) while it started", cfg.Name),
				downLocked(lock, cfg.StateRoot, cfg.Name, out))
		}
	}
	kept, keepErr := keepLogs(cfg.Dir(), cfg.Name)
	return kept, errors.Join(keepErr, downLocked(lock, cfg.StateRoot, cfg.Name, out))
}

// preflight finds the binaries (building the Kubernetes ones on first use) and checks the
// ranges against the host's routes. It creates nothing but the kube-bins cache.
func preflight(cfg Config, out io.Writer) error {
	if os.Geteuid() != 0 {
		return errors.New("dualnet lab needs root (network namespaces, veth pairs): run it with sudo")
	}
	if err := CheckName(cfg.Name); err != nil {
		return err
	}
	if _, err := cfg.Addressing(); err != nil {
		return err
	}
	routes, err := readHostRoutes()
	if err != nil {
		return err
	}
	if err := CheckHostRoutes(cfg.Ranges(), routes); err != nil {
		return err
	}
	needed := dualnetBinaries
	if cfg.Routes == RoutesAzure {
		needed = append(needed, "dualnet-armemu")
	}
	for _, name := range needed {
		if err := executable(filepath.Join(cfg.BinDir, name)); err != nil {
			return fmt.Errorf("%w: run `make build` (or pass --bin-dir where dualnet's binaries are)", err)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.BinDir, "dualnet-image.tar")); err != nil {
		return fmt.Errorf("%s not found: run `make image` (the lab's registry serves dualnet's image)", filepath.Join(cfg.BinDir, "dualnet-image.tar"))
	}
	// Last: the first run builds these for minutes, so whatever else is wrong is said first.
	if err := ensureBins(cfg.KubeBinDir, kubeBinaries, "test/kube/build.sh", "the Kubernetes binaries", "make kube-bins", out); err != nil {
		return err
	}
	if err := ensureBins(cfg.NodeBinDir, nodeBinaries, "test/node/build.sh", "the node binaries (containerd, runc, CoreDNS, crictl)", "make node-bins", out); err != nil {
		return err
	}
	return nil
}

func executable(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s not found", path)
	}
	if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable", path)
	}
	return nil
}

// startSupervisor runs `dualnet lab supervise` in its own session, so it outlives this
// command, and records it.
func startSupervisor(st *State) (Process, error) {
	self, err := os.Executable()
	if err != nil {
		return Process{}, err
	}
	return startProcess(st, "supervisor", self, []string{"lab", "supervise", "--state-dir", st.Dir})
}

// waitReady follows the supervisor's progress file until the state says ready or the
// supervisor exits.
func waitReady(ctx context.Context, st *State, p Process, out io.Writer) error {
	deadline := time.Now().Add(UpTimeout)
	var offset int64
	for {
		if ctx.Err() != nil {
			return fmt.Errorf("lab up interrupted: %w", ctx.Err())
		}
		offset = copyNewLines(progressFile(st.Dir), offset, out)
		cur, err := LoadState(st.Dir)
		if err == nil && cur.Ready {
			return nil
		}
		if !p.alive() {
			if _, err := os.Stat(st.Dir); errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("the lab's supervisor (pid %d) was stopped before the lab was ready", p.PID)
			}
			copyNewLines(progressFile(st.Dir), offset, out)
			if data, err := os.ReadFile(progressFile(st.Dir)); err == nil && strings.Contains(string(data), failedMark) {
				return errors.New("the lab did not come up (the reason is above)")
			}
			return fmt.Errorf("the lab's supervisor exited before the lab was ready; its log ends with:\n%s", tail(p.Log, 20))
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(p.PID, syscall.SIGTERM)
			return fmt.Errorf("the lab was not ready after %s", UpTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// copyNewLines prints the complete lines of path past offset and returns the new offset.
func copyNewLines(path string, offset int64, out io.Writer) int64 {
	f, err := os.Open(path)
	if err != nil {
		return offset
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return offset
	}
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return offset // a partial line waits for its end
		}
		offset += int64(len(line))
		fmt.Fprint(out, line)
	}
}

// tail is the last n lines of a file, indented.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "    (unreadable: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}

// ensureBins builds a cache of binaries with its script (test/kube/build.sh,
// test/node/build.sh) when the cache lacks one of them, showing the build's output: a first
// run takes minutes.
func ensureBins(dir string, names []string, script, what, makeTarget string, out io.Writer) error {
	missing := []string{}
	for _, name := range names {
		if executable(filepath.Join(dir, name)) != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	path, err := findScript(script)
	if err != nil {
		return fmt.Errorf("%s missing in %s and %w", strings.Join(missing, ", "), dir, err)
	}
	fmt.Fprintf(out, "%s missing in %s: building %s once with `%s` (%s; minutes on 2 cores) ...\n",
		strings.Join(missing, ", "), dir, what, makeTarget, path)
	cmd := exec.Command("bash", path)
	cmd.Env = append(os.Environ(), "OUT="+dir)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s failed (%v): fix the error above and run `%s`", what, err, makeTarget)
	}
	return nil
}

// findScript looks for a build script (relative to a clone's root) in the working directory
// and its parents, then beside the dualnet binary (bin/ in a clone).
func findScript(rel string) (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if self, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(self))
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			candidate := filepath.Join(d, rel)
			if _, err := os.Stat(candidate); err == nil {
				return candidate, nil
			}
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	return "", fmt.Errorf("%s was not found to build them: run it in a dualnet clone", rel)
}

// readHostRoutes is HostRoutes; a test replaces it to see Up's answer to a given host.
var readHostRoutes = HostRoutes

var (
	kubeBinaries    = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "kubectl", "kubelet", "agnhost"}
	nodeBinaries    = []string{"containerd", "containerd-shim-runc-v2", "ctr", "runc", "coredns", "crictl"}
	dualnetBinaries = []string{"dualnet-controller", "dualnet-agent", "dualnet-cni", "dualnet-pause"}
)
