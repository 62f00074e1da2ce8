package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

// PodNetns finds the network namespace of a running pod of a lab: its node's containerd knows
// the pod's sandbox (by the pod's UID label, as the kubelet sets it) and the PID of its pause
// process, whose namespace is the pod's. It returns /proc/<pid>/ns/net, for netns.Do.
func PodNetns(ctx context.Context, stateRoot, labName, node, podUID string) (string, error) {
	c, err := NodeCrictl(filepath.Join(stateRoot, labName), node)
	if err != nil {
		return "", fmt.Errorf("lab %q: %w", labName, err)
	}
	ids, err := c.Run(ctx, "pods", "--state=ready", "--label=io.kubernetes.pod.uid="+podUID, "-q")
	if err != nil {
		return "", err
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(ids)), "\n")
	if id == "" {
		return "", fmt.Errorf("node %s runs no ready sandbox for pod UID %s", node, podUID)
	}
	out, err := c.Run(ctx, "inspectp", id)
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
