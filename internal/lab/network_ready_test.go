package lab

import (
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A crash-looping pod's log comes from the node's files: the latest run that wrote anything,
// without the CRI prefix, even when the newest run has written nothing yet.
func TestCrashLogIsTheLatestRunThatWroteFromTheNodesFiles(t *testing.T) {
	st := &State{stateRecord: stateRecord{Dir: t.TempDir()}}
	p := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "dualnet-agent-x", UID: "u1"},
		Spec:       corev1.PodSpec{NodeName: "lab-node-0"},
	}
	dir := filepath.Join(nodeMachineOf(st, "lab-node-0").path("/var/log/pods"), "kube-system_dualnet-agent-x_u1", "dualnet-agent")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"1.log":  "2026-12-05T04:00:00Z stderr F first run\n",
		"2.log":  "2026-12-05T04:00:01Z stderr F second run\n2026-12-05T04:00:02Z stderr F Error: bad flag\n",
		"10.log": "", // the run just started
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := (&podWatch{st: st}).fileLog(p, "dualnet-agent")
	if want := "second run\nError: bad flag"; err != nil || got != want {
		t.Errorf("fileLog = %q, %v; want %q", got, err, want)
	}
}
