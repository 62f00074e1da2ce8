package antispoof

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
)

// run applies the script with a single `nft -f -` in the caller's network namespace.
func run(ctx context.Context, s *script) error {
	path, err := nftPath()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, path, "-f", "-")
	cmd.Stdin = strings.NewReader(s.String())
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
