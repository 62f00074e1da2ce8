package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeepLogsCopiesTheLabsLogsOutOfItsStateDirectory(t *testing.T) {
	dir := t.TempDir()
	// Where the lab writes them: its components' under logs/, a node's pods' in the node's
	// /var/log/pods.
	controller := filepath.Join("kube-system_dualnet-controller-7d9f_0b1c", "dualnet-controller", "0.log")
	written := map[string]string{
		filepath.Join("logs", "supervisor.log"):                                         "FAILED: node did not register\n",
		filepath.Join("logs", "kubelet-dn-k-node-0.log"):                                "E1206 node not found\n",
		filepath.Join("nodes", "dn-k-node-0", "root", "var", "log", "pods", controller): "leader elected\n",
	}
	for path, text := range written {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, path), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logs := map[string]string{
		"supervisor.log":                                 "FAILED: node did not register\n",
		"kubelet-dn-k-node-0.log":                        "E1206 node not found\n",
		filepath.Join("pods", "dn-k-node-0", controller): "leader elected\n",
	}
	kept, err := keepLogs(dir, "dn-k")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(kept) })
	if !strings.HasPrefix(filepath.Base(kept), "dualnet-lab-dn-k-logs-") || strings.HasPrefix(kept, dir) {
		t.Errorf("keepLogs kept the logs in %s, want a dualnet-lab-dn-k-logs-* directory outside %s", kept, dir)
	}
	if err := os.RemoveAll(dir); err != nil { // as Down does next
		t.Fatal(err)
	}
	for name, text := range logs {
		if got, err := os.ReadFile(filepath.Join(kept, name)); err != nil || string(got) != text {
			t.Errorf("kept %s = %q (%v), want %q", name, got, err, text)
		}
	}
}

func TestKeepLogsOfALabWithoutLogsKeepsNothing(t *testing.T) {
	kept, err := keepLogs(t.TempDir(), "dn-k")
	if kept != "" || err != nil {
		os.RemoveAll(kept)
		t.Errorf("keepLogs of a lab without logs = %q, %v; want nothing kept", kept, err)
	}
}
