package antispoof

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"sigs.k8s.io/knftables"
)

// Run applies tx with a single `nft -f -` in the caller's network namespace. The plugin
// borrows only knftables' transaction writer (from the in-memory implementation) because
// knftables.New runs `nft --version` and `nft --check` first, about 20 ms measured here.
func Run(ctx context.Context, tx *knftables.Transaction) error {
	path, err := nftPath()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, path, "-f", "-")
	cmd.Stdin = strings.NewReader(tx.String())
	// If the plugin is killed (a runtime timeout), nft goes too rather than commit rules
	// after a GC that already ran.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("nft table bridge %s: %w: %s", Table, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// newLister is knftables on the table, for listing. knftables looks nft up in PATH only, so
// when PATH lacks it (a runtime that passes plugins no PATH), the directory nftPath finds it
// in goes into PATH first: the plugin is one short process, and the agent's image has nft
// in PATH anyway.
func newLister() (knftables.Interface, error) {
	path, err := nftPath()
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("nft"); err != nil {
		dirs := filepath.Dir(path)
		if old := os.Getenv("PATH"); old != "" {
			dirs += string(os.PathListSeparator) + old
		}
		os.Setenv("PATH", dirs)
	}
	nft, err := knftables.New(knftables.BridgeFamily, Table)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return nft, nil
}

// nftPath finds nft; runtimes do not always pass a PATH to plugins.
func nftPath() (string, error) {
	if p, err := exec.LookPath("nft"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"} {
		if _, err := exec.LookPath(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("nft not found in PATH or /usr/sbin, /sbin, /usr/bin: install nftables")
}
