package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// keepLogs copies the logs of the lab in dir to a new directory under the machine's temporary
// directory, before a failed `lab up` removes dir, and returns that directory ("" when the lab
// has no logs): the components' (<component>.log, the supervisor's among them) and each node's
// pods' (pods/<node>/<namespace>_<pod>_<uid>/<container>/<n>.log, dualnet's controller and
// agents among them). Copied, not moved: the components still write theirs until Down stops
// them, and a pod's log may go while it is copied.
func keepLogs(dir, name string) (string, error) {
	sources := [][2]string{{filepath.Join(dir, "logs"), "."}}
	for _, m := range labMachines(dir) {
		sources = append(sources, [2]string{m.path("/var/log/pods"), filepath.Join("pods", m.Name)})
	}
	dst, err := os.MkdirTemp("", "dualnet-lab-"+name+"-logs-")
	if err != nil {
		return "", fmt.Errorf("keep the lab's logs: %w", err)
	}
	kept := 0
	var errs []error
	for _, s := range sources {
		n, err := copyLogs(s[0], filepath.Join(dst, s[1]))
		kept += n
		errs = append(errs, err)
	}
	if kept == 0 {
		os.RemoveAll(dst)
		return "", errors.Join(errs...)
	}
	if err := errors.Join(errs...); err != nil {
		return dst, fmt.Errorf("keep the lab's logs in %s: %w", dst, err)
	}
	return dst, nil
}

// copyLogs copies the regular files under src to dst, keeping their relative paths, and
// returns how many it copied. A file or src itself gone meanwhile is skipped.
func copyLogs(src, dst string) (int, error) {
	n := 0
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err == nil {
			err = os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dst, rel), data, 0o644)
		}
		if err == nil {
			n++
		}
		return err
	})
	return n, err
}
