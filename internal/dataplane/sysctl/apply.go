package sysctl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// Apply writes the settings that differ, in order, inside n, and returns the names it
// changed.
func Apply(n nodens.Namespace, settings []Setting) (changed []string, err error) {
	err = n.Do(func() error {
		for _, s := range settings {
			did, err := apply(s)
			if err != nil {
				return err
			}
			if did {
				changed = append(changed, s.Name)
			}
		}
		return nil
	})
	return changed, err
}

func apply(s Setting) (bool, error) {
	cur, err := os.ReadFile(s.path())
	if errors.Is(err, fs.ErrNotExist) && strings.HasPrefix(s.Name, "net.bridge.") {
		return false, fmt.Errorf("sysctl %s: %s does not exist: load the br_netfilter kernel module (modprobe br_netfilter)", s.Name, s.path())
	}
	if err != nil {
		return false, fmt.Errorf("sysctl %s: %w", s.Name, err)
	}
	if strings.TrimSpace(string(cur)) == s.Value {
		return false, nil
	}
	if err := os.WriteFile(s.path(), []byte(s.Value), 0o644); err != nil {
		return false, fmt.Errorf("sysctl %s=%s: %w", s.Name, s.Value, err)
	}
	return true, nil
}
