package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// hostSettings are the kernel-wide settings a lab changes, though everything else it does
// stays in its namespaces: the kubelet writes three of them at start
// (k8s.io/kubernetes/pkg/kubelet/cm/container_manager_linux.go, setupKernelTunables), and
// several kubelets and containerds on one machine need more inotify instances than a default
// 128 (as kind's known issues say). `lab up` says which it changed; the last `lab down`
// puts each back.
var hostSettings = []struct {
	path    string
	raiseTo int // 0: the kubelet sets it; else the lab raises it to at least this
}{
	{"/proc/sys/vm/overcommit_memory", 0},
	{"/proc/sys/kernel/panic", 0},
	{"/proc/sys/kernel/panic_on_oops", 0},
	{"/proc/sys/fs/inotify/max_user_instances", 1024},
	{"/proc/sys/fs/inotify/max_user_watches", 524288},
}

// hostSettingsFile keeps the values found before the first lab changed anything, beside the
// labs' state directories, so that whichever lab goes down last restores them.
func hostSettingsFile(root string) string { return filepath.Join(root, "host-settings.json") }

// saveHostSettings records the current values unless a running lab recorded them already,
// then raises the inotify limits.
func saveHostSettings(root string) error {
	file := hostSettingsFile(root)
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		saved := map[string]string{}
		for _, s := range hostSettings {
			v, err := os.ReadFile(s.path)
			if err != nil {
				return fmt.Errorf("read %s: %w", s.path, err)
			}
			saved[s.path] = strings.TrimSpace(string(v))
		}
		data, _ := json.MarshalIndent(saved, "", "  ")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			return err
		}
	}
	for _, s := range hostSettings {
		if s.raiseTo == 0 {
			continue
		}
		v, err := readInt(s.path)
		if err == nil && v < s.raiseTo {
			if err := os.WriteFile(s.path, []byte(strconv.Itoa(s.raiseTo)), 0o644); err != nil {
				return fmt.Errorf("raise %s to %d: %w", s.path, s.raiseTo, err)
			}
		}
	}
	return nil
}

// reportHostSettings says which kernel-wide settings differ from the saved values now.
func reportHostSettings(root string, printf func(string, ...any)) {
	saved, err := loadHostSettings(root)
	if err != nil {
		return
	}
	for _, s := range hostSettings {
		now, err := os.ReadFile(s.path)
		if err == nil && strings.TrimSpace(string(now)) != saved[s.path] {
			printf("  host-global: %s %s -> %s (put back by the last `lab down`)", sysctlName(s.path), saved[s.path], strings.TrimSpace(string(now)))
		}
	}
}

// restoreHostSettings writes the saved values back once no lab is left under root.
func restoreHostSettings(root string, out io.Writer) error {
	saved, err := loadHostSettings(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if _, err := LoadState(filepath.Join(root, e.Name())); e.IsDir() && err == nil {
			return nil // another lab runs: it restores them when it goes
		}
	}
	var errs []error
	for _, s := range hostSettings {
		want, ok := saved[s.path]
		now, err := os.ReadFile(s.path)
		if !ok || err != nil || strings.TrimSpace(string(now)) == want {
			continue
		}
		if err := os.WriteFile(s.path, []byte(want), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("put back %s: %w", s.path, err))
			continue
		}
		fmt.Fprintf(out, "put back %s = %s\n", sysctlName(s.path), want)
	}
	if len(errs) == 0 {
		_ = os.Remove(hostSettingsFile(root))
	}
	return errors.Join(errs...)
}

func loadHostSettings(root string) (map[string]string, error) {
	data, err := os.ReadFile(hostSettingsFile(root))
	if err != nil {
		return nil, err
	}
	saved := map[string]string{}
	return saved, json.Unmarshal(data, &saved)
}

func readInt(path string) (int, error) {
	v, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(v)))
}

func sysctlName(path string) string {
	return strings.ReplaceAll(strings.TrimPrefix(path, "/proc/sys/"), "/", ".")
}
