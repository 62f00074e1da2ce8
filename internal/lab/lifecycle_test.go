package lab

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary plays a lab's processes when helperEnv is set (the os/exec tests' pattern):
// "sleep" waits to be stopped, "record <dir> <prefix> <n>" records n processes into a state.
const helperEnv = "DUALNET_LAB_TEST_HELPER"

func TestHelperProcess(t *testing.T) {
	args := strings.Fields(os.Getenv(helperEnv))
	if len(args) == 0 {
		return
	}
	switch args[0] {
	case "sleep":
		time.Sleep(time.Minute)
	case "record":
		n, _ := strconv.Atoi(args[3])
		if err := recordProcesses(args[1], args[2], n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	os.Exit(0)
}

// helper starts the test binary as a helper, with extra arguments that its command line shows
// (as a lab's components name their paths), in a session of its own as the lab's run.
func helper(t *testing.T, mode, cwd string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	cmd.Dir = cwd
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// recordProcesses records n processes named <prefix>-<i> into the state in dir, each with a
// read-modify-write of its own, from a State read once (as the supervisor holds one).
func recordProcesses(dir, prefix string, n int) error {
	st, err := LoadState(dir)
	if err != nil {
		return err
	}
	for i := range n {
		if err := st.addProcess(Process{Name: fmt.Sprintf("%s-%d", prefix, i), PID: i + 1}); err != nil {
			return err
		}
		if err := st.addNamespace(fmt.Sprintf("%s-ns-%d", prefix, i)); err != nil {
			return err
		}
	}
	return nil
}

func TestStateWritersInTwoProcessesAndTwoGoroutinesLoseNoRecord(t *testing.T) {
	root := t.TempDir()
	st, err := newState(root, "dn-lock")
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	other := helper(t, "record "+st.Dir+" other "+strconv.Itoa(n), "/")
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, prefix := range []string{"up", "supervisor"} {
		wg.Go(func() { errs <- recordProcesses(st.Dir, prefix, n) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := other.Wait(); err != nil {
		t.Fatalf("the writer in another process: %v", err)
	}
	saved, err := LoadState(st.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"up", "supervisor", "other"} {
		for i := range n {
			name := fmt.Sprintf("%s-%d", prefix, i)
			if _, ok := saved.process(name); !ok {
				t.Errorf("process %s was recorded but is not in the state", name)
			}
			if ns := fmt.Sprintf("%s-ns-%d", prefix, i); !slices.Contains(saved.Namespaces, ns) {
				t.Errorf("namespace %s was recorded but is not in the state", ns)
			}
		}
	}
	// A writer's copy is the state as it saved it: what the others recorded before included.
	if err := st.setEndpoint("apiserver", "https://[::1]:6443"); err != nil {
		t.Fatal(err)
	}
	if len(st.Processes) != 3*n || len(st.Namespaces) != 3*n || st.Endpoints["apiserver"] == "" {
		t.Errorf("the writer's copy has %d processes, %d namespaces, endpoints %v; want %d, %d and the apiserver", len(st.Processes), len(st.Namespaces), st.Endpoints, 3*n, 3*n)
	}
}

func TestStateUpdateDoesNotRecreateARemovedState(t *testing.T) {
	st, err := newState(t.TempDir(), "dn-gone")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(stateFile(st.Dir)); err != nil {
		t.Fatal(err)
	}
	err = st.addNamespace("dn-gone-vnet")
	if err == nil || !strings.Contains(err.Error(), "is gone") {
		t.Errorf("addNamespace after the state was removed = %v, want an error saying it is gone", err)
	}
	if _, err := os.Stat(stateFile(st.Dir)); err == nil {
		t.Error("recording into a removed state recreated it")
	}
}

func TestFindLabProcessesFindsTheLabsByCommandLineAndDirectoryOnly(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "dn-find")
	for _, d := range []string{dir, dir + "2"} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	start := func(name, cwd string, args ...string) int {
		cmd := helper(t, "sleep", cwd, args...)
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		t.Logf("%s: pid %d", name, cmd.Process.Pid)
		return cmd.Process.Pid
	}
	supervisor := start("supervisor", "/", "dualnet", "lab", "supervise", "--state-dir", dir)
	etcd := start("etcd", "/", "etcd", "--data-dir="+dir+"/etcd", "--listen-client-urls=unix://"+dir+"/etcd.sock")
	worker := start("a process in the lab's directory", dir, "worker")
	others := []int{
		start("a lab whose name starts with this one's", dir+"2", "dualnet", "lab", "supervise", "--state-dir", dir+"2"),
		start("a process naming the state root", "/", "ls", root),
		start("a process naming a sibling", "/", "cat", dir+"2/state.json"),
	}
	want := []int{supervisor, etcd, worker}
	found := findLabProcesses(dir)
	for _, pid := range want {
		if !slices.ContainsFunc(found, func(p foundProcess) bool { return p.PID == pid }) {
			t.Fatalf("pid %d not found in %v", pid, found)
		}
	}
	if !found[0].Supervisor || found[0].PID != supervisor {
		t.Errorf("found %v: want the supervisor (pid %d) first, marked as the supervisor", found, supervisor)
	}
	for _, p := range found {
		if slices.Contains(others, p.PID) {
			t.Errorf("found %v, which is not the lab's", p)
		}
		if p.PID == os.Getpid() {
			t.Errorf("found the caller itself")
		}
		if p.PID != supervisor && p.Supervisor {
			t.Errorf("%v is marked as the supervisor", p)
		}
	}
	if len(found) != len(want) {
		t.Errorf("found %v, want exactly pids %v", found, want)
	}
}

func TestUpRefusesALabWhoseSupervisorRunsAndDownStopsIt(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "dn-left")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// A supervisor whose lab's state is gone: only its command line says whose it is.
	cmd := helper(t, "sleep", "/", "dualnet", "lab", "supervise", "--state-dir", dir)
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	// Start returns once the helper has exec'd: its command line is the one it was given.
	want := fmt.Sprintf("its supervisor, pid %d", cmd.Process.Pid)
	refusal := checkNotRunning(root, "dn-left")
	if refusal == nil || !strings.Contains(refusal.Error(), want) {
		t.Fatalf("checkNotRunning = %v, want it to name %q", refusal, want)
	}
	if !strings.Contains(refusal.Error(), "dualnet lab down --name dn-left --state-root "+root) || !strings.Contains(refusal.Error(), "its state directory "+dir) {
		t.Errorf("checkNotRunning = %v, want it to name the state directory and the command that removes the lab", refusal)
	}
	var out strings.Builder
	if err := Down(root, "dn-left", &out); err != nil {
		t.Fatalf("Down: %v\n%s", err, out.String())
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatalf("Down left the supervisor running:\n%s", out.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("stopped supervisor (pid %d)", cmd.Process.Pid)) {
		t.Errorf("Down should say it stopped the supervisor, said:\n%s", out.String())
	}
	if entries, err := os.ReadDir(root); err == nil && len(entries) > 0 {
		t.Errorf("Down left %v in the state root", entries)
	}
	if err := checkNotRunning(root, "dn-left"); err != nil {
		t.Errorf("after Down: %v", err)
	}
}

func TestLabLockMakesASecondHolderWaitAndSurvivesRemoval(t *testing.T) {
	root := t.TempDir()
	first, err := lockLab(root, "dn-lock", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *labLock)
	go func() {
		l, err := lockLab(root, "dn-lock", io.Discard)
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	select {
	case <-got:
		t.Fatal("a second lockLab got the lock while the first held it")
	case <-time.After(200 * time.Millisecond):
	}
	first.remove() // as Down does: the waiter must then hold the file now at the path
	second := <-got
	third := make(chan *labLock)
	go func() {
		l, _ := lockLab(root, "dn-lock", io.Discard)
		third <- l
	}()
	select {
	case <-third:
		t.Fatal("a third lockLab got the lock while the second held it (the second holds a removed file)")
	case <-time.After(200 * time.Millisecond):
	}
	second.release()
	// As Down leaves it: no lock file, and no root once no lab is left in it.
	(<-third).remove()
	if err := os.Remove(root); err != nil {
		t.Fatal(err)
	}
	l, err := lockLab(root, "dn-lock", io.Discard)
	if err != nil {
		t.Fatalf("lockLab after the root was removed: %v", err)
	}
	l.remove()
}
