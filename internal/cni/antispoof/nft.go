package antispoof

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"

	"sigs.k8s.io/knftables"
)

// Run applies tx with a single `nft -f -` in the caller's network namespace.
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

// GC removes the rules of every pod whose host veth keep rejects. It lists the table through
// knftables (GC is rare, so the extra nft runs do not matter) and deletes in one transaction.
func GC(ctx context.Context, keep func(hostVeth string) bool) (removed []string, err error) {
	nft, err := knftables.New(knftables.BridgeFamily, Table)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	chains, err := nft.List(ctx, "chain")
	if knftables.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list chains of bridge %s: %w", Table, err)
	}
	for _, c := range chains {
		veth, ok := strings.CutPrefix(c, chainPrefix)
		if ok && !keep(veth) {
			removed = append(removed, veth)
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	return removed, Run(ctx, SetupAndRemoveTransaction(removed...))
}
