// Package deadns is test support for the named network namespaces that tests and benchmarks
// create: names that carry the creating process's PID, and a sweep that removes the ones
// whose creator is gone. t.Cleanup and defers do not run when a test binary panics on
// -timeout or a benchmark is killed, and a leftover namespace keeps its veths, bridges and
// nft tables.
package deadns

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/dualnet/dualnet/internal/netns"
)

// Name is dn-<what>-<owner><pid>-<n>: the whole PID, so that a later process can tell a
// leftover whose creator is gone. It is not cut to 15 bytes: namespace names are file
// names, not interface names. what and owner are lower-case letters and digits.
func Name(what, owner string, pid int, n int64) string {
	return fmt.Sprintf("dn-%s-%s%d-%d", what, owner, pid, n)
}

// Sweep removes the namespaces that Name made for owner whose creating process is no longer
// alive. Every other name belongs to someone else and is never touched. A PID that is alive
// again (reused) keeps its namespaces: leaving one is safe, removing a live one is not.
func Sweep(owner string) []error {
	own := regexp.MustCompile(`^dn-[a-z0-9]+-` + regexp.QuoteMeta(owner) + `([1-9][0-9]*)-[1-9][0-9]*$`)
	entries, err := os.ReadDir(netns.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, e := range entries {
		m := own.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		if err := netns.Delete(e.Name()); err != nil {
			errs = append(errs, fmt.Errorf("%w (its process %d is gone)", err, pid))
		}
	}
	return errs
}

// alive says whether a process with pid exists; signal 0 checks without sending anything.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// counter numbers the namespaces this process creates; names differ in what and owner too,
// so one counter serves them all.
var counter atomic.Int64

// Next is the next number for a Name of this process.
func Next() int64 { return counter.Add(1) }

// swept holds, per owner, a sync.Once: the first New for an owner sweeps that owner's
// namespaces of dead processes before it adds one.
var swept sync.Map

// New creates a namespace named Name(what, owner, this process, next number) with loopback
// up, after sweeping (once per owner and process) what dead processes of owner left. Sweep
// errors go to stderr: a leftover must not fail a test that does not own it. The caller
// removes the namespace with netns.Delete.
func New(what, owner string) (string, error) {
	once, _ := swept.LoadOrStore(owner, new(sync.Once))
	once.(*sync.Once).Do(func() {
		for _, err := range Sweep(owner) {
			fmt.Fprintf(os.Stderr, "%s: sweeping namespaces of dead processes: %v\n", owner, err)
		}
	})
	name := Name(what, owner, os.Getpid(), Next())
	if err := netns.CreateWithLoopback(name); err != nil {
		return "", err
	}
	return name, nil
}

// NewForTest is New for one test: a failure fails the test, and the namespace is removed when
// the test ends.
func NewForTest(t testing.TB, what, owner string) string {
	t.Helper()
	name, err := New(what, owner)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := netns.Delete(name); err != nil {
			t.Error(err)
		}
	})
	return name
}
