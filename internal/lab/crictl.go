package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/dualnet/dualnet/internal/netns"
)

// Crictl runs crictl inside a lab node against its containerd, as the node's kubelet
// reaches it.
type Crictl struct {
	node string
	cfg  Config
	m    nodeMachine
}

// NodeCrictl is crictl for the named node of the lab whose state is in dir
// (/run/dualnet-lab/<name>).
func NodeCrictl(dir, node string) (*Crictl, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	st, err := LoadState(cfg.Dir())
	if err != nil {
		return nil, err
	}
	return &Crictl{node: node, cfg: cfg, m: nodeMachineOf(st, node)}, nil
}

// Run runs crictl with args and returns what it printed.
func (c *Crictl) Run(ctx context.Context, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	path, full := c.m.command(netns.Path(c.node), filepath.Join(c.cfg.NodeBinDir, "crictl"),
		append([]string{"--runtime-endpoint=unix://" + containerdSocket}, args...)...)
	cmd := exec.CommandContext(ctx, path, full...)
	cmd.Env = nodeEnv(c.cfg)
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && len(bytes.TrimSpace(exit.Stderr)) > 0 {
			err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(exit.Stderr))
		}
		return nil, fmt.Errorf("crictl %s on %s: %w", strings.Join(args, " "), c.node, err)
	}
	return out, nil
}
