package antispoof

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"

	"sigs.k8s.io/knftables"
)

// Pending is an nft process started before its transaction is known. Starting nft (exec,
// dynamic linking) takes most of its few milliseconds; the plugin starts it first thing, so
// that this overlaps with config parsing and address allocation, and hands it the
// transaction when the pod's addresses are known.
type Pending struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer
	err    error // from starting
}

// Start launches `nft -f -` waiting for its transaction on stdin.
func Start(ctx context.Context) *Pending {
	p := &Pending{}
	path, err := nftPath()
	if err != nil {
		p.err = err
		return p
	}
	p.cmd = exec.CommandContext(ctx, path, "-f", "-")
	p.cmd.Stderr = &p.stderr
	// If the plugin is killed (a runtime timeout), nft goes too rather than commit rules
	// after a GC that already ran.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if p.stdin, p.err = p.cmd.StdinPipe(); p.err != nil {
		return p
	}
	if err := p.cmd.Start(); err != nil {
		p.err = fmt.Errorf("start nft: %w", err)
	}
	return p
}

// Commit sends tx and waits for nft to apply it.
func (p *Pending) Commit(tx *knftables.Transaction) error {
	if p.err != nil {
		return p.err
	}
	_, werr := io.WriteString(p.stdin, tx.String())
	p.stdin.Close()
	if err := p.cmd.Wait(); err != nil {
		return fmt.Errorf("nft table bridge %s: %w: %s", Table, err, strings.TrimSpace(p.stderr.String()))
	}
	if werr != nil {
		return fmt.Errorf("nft table bridge %s: write transaction: %w", Table, werr)
	}
	return nil
}

// Cancel ends the process without a transaction (nft applies an empty input as nothing).
func (p *Pending) Cancel() {
	if p.err != nil {
		return
	}
	p.stdin.Close()
	_ = p.cmd.Wait()
}

// Install adds the rules of one pod through the pending nft, and through a second run that
// builds the whole table if that fails (the first pod of a node, or after anyone removed
// the table). replace is for a repeated ADD of the same pod.
func (p *Pending) Install(ctx context.Context, pod Pod, replace bool) error {
	if replace {
		p.Cancel()
		return Run(ctx, SetupAndInstallTransaction(pod))
	}
	if p.Commit(InstallTransaction(pod)) == nil {
		return nil
	}
	return Run(ctx, SetupAndInstallTransaction(pod))
}

// Remove deletes the rules of one pod through the pending nft; rules that are already gone
// are not an error.
func (p *Pending) Remove(ctx context.Context, hostVeth string) error {
	if p.Commit(RemoveTransaction(hostVeth)) == nil {
		return nil
	}
	return Run(ctx, SetupAndRemoveTransaction(hostVeth))
}
