package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/dualnet/dualnet/internal/netns"
)

// PodNetns finds the network namespace of a running pod of a lab: its node's containerd knows
// the pod's sandbox (by the pod's UID label, as the kubelet sets it) and the PID of its pause
// process, whose namespace is the pod's. It returns /proc/<pid>/ns/net, for netns.Do.
func PodNetns(ctx context.Context, stateRoot, labName, node, podUID string) (string, error) {
	cfg, err := LoadConfig(filepath.Join(stateRoot, labName))
	if err != nil {
		return "", fmt.Errorf("lab %q: %w", labName, err)
	}
	st, err := LoadState(cfg.Dir())
	if err != nil {
		return "", fmt.Errorf("lab %q: %w", labName, err)
	}
	m := nodeMachineOf(st, node)
	crictl := func(args ...string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		path, full := m.command(netns.Path(node), filepath.Join(cfg.NodeBinDir, "crictl"),
			append([]string{"--runtime-endpoint=unix://" + containerdSocket}, args...)...)
		cmd := exec.CommandContext(ctx, path, full...)
		cmd.Env = nodeEnv(cfg)
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("crictl %s on %s: %w", strings.Join(args, " "), node, err)
		}
		return out, nil
	}
	ids, err := crictl("pods", "--state=ready", "--label=io.kubernetes.pod.uid="+podUID, "-q")
	if err != nil {
		return "", err
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(ids)), "\n")
	if id == "" {
		return "", fmt.Errorf("node %s runs no ready sandbox for pod UID %s", node, podUID)
	}
	out, err := crictl("inspectp", id)
	if err != nil {
		return "", err
	}
	var inspect struct {
		Info struct {
			PID int `json:"pid"`
		} `json:"info"`
	}
	if err := json.Unmarshal(out, &inspect); err != nil || inspect.Info.PID == 0 {
		return "", fmt.Errorf("sandbox %s on %s: no PID in crictl inspectp (%v)", id, node, err)
	}
	return fmt.Sprintf("/proc/%d/ns/net", inspect.Info.PID), nil
}
