package lab

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Two locks keep the lab's processes from undoing each other's work. Both are flock(2) locks,
// which the kernel drops when their holder dies, so a killed `lab up` never leaves a lab
// locked. flock treats every open(2) of a file on its own, even within one process
// (flock(2): "treated independently"), so goroutines that each open the file exclude each other
// as processes do.
//
//   - The lab's lock, <state root>/<name>.lock, beside the lab's directory: `lab down` holds it
//     for its whole run, `lab up` while it checks that no lab of the name runs, creates the
//     directory and starts the supervisor. So two downs, or a down and the clean-up of a
//     failed up, never remove things under each other, and an up never starts into a lab a
//     down is removing. Down deletes the file once the lab is gone.
//   - The state's lock, state.lock in the lab's directory: held for each read-modify-write of
//     state.json (State.update), by `lab up` and the supervisor alike.

func labLockFile(root, name string) string { return filepath.Join(root, name+".lock") }

func stateLockFile(dir string) string { return filepath.Join(dir, "state.lock") }

// labLock is the held lock of one lab.
type labLock struct{ f *os.File }

// lockLab takes the lab's lock, saying so on out when another `lab up` or `lab down` of the
// lab holds it and this one waits.
func lockLab(root, name string, out io.Writer) (*labLock, error) {
	path := labLockFile(root, name)
	for tries, said := 0, false; ; tries++ {
		// The root too: the down before us removes it when it leaves it empty, and may do so
		// between the MkdirAll and the open.
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, fmt.Errorf("create the labs' state root: %w", err)
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if errors.Is(err, fs.ErrNotExist) && tries < 100 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open the lab's lock: %w", err)
		}
		if flock(f, syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			if !said {
				fmt.Fprintf(out, "waiting for another `dualnet lab up` or `lab down` of lab %q to finish (it holds %s)\n", name, path)
				said = true
			}
			if err := flock(f, syscall.LOCK_EX); err != nil {
				f.Close()
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
		}
		// The holder before us may have removed the file (its lab was down): a lock on that
		// unlinked file excludes nobody who opens the path now, so take the path's file.
		if sameFile(f, path) {
			return &labLock{f: f}, nil
		}
		f.Close()
	}
}

// release lets the next `lab up` or `lab down` of the lab go on.
func (l *labLock) release() { l.f.Close() }

// remove deletes the lock's file and releases it: the lab is gone, and so is every file of it.
func (l *labLock) remove() {
	_ = os.Remove(l.f.Name())
	l.release()
}

// lockState takes the lock of a lab's state file. The directory is not created: a lab that
// `lab down` removed has no state to record into.
func lockState(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(stateLockFile(dir), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the lab's state: %w", err)
	}
	if err := flock(f, syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil
}

// flock retries a wait that a signal interrupted.
func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// sameFile says whether the open file is still the one at path.
func sameFile(f *os.File, path string) bool {
	held, err := f.Stat()
	if err != nil {
		return false
	}
	now, err := os.Stat(path)
	return err == nil && os.SameFile(held, now)
}
