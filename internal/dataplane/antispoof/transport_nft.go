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
	if _, stderr, err := execNft(ctx, s.String(), "-f", "-"); err != nil {
		return fmt.Errorf("nft table bridge %s: %w: %s", Table, err, stderr)
	}
	return nil
}

// execNft runs nft with args and stdin in the caller's network namespace, and returns what it
// printed.
func execNft(ctx context.Context, stdin string, args ...string) (stdout []byte, stderr string, err error) {
	path, err := nftPath()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	// If the plugin is killed (a runtime timeout), nft goes too rather than commit rules
	// after a GC that already ran.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.Bytes(), strings.TrimSpace(errOut.String()), err
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
