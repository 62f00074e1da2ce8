package deploy

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// buildCommand builds cmd/<name> of this module into a temporary directory.
func buildCommand(t *testing.T, name string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(t.TempDir(), name)
	if b, err := exec.Command(goTool, "build", "-o", out, "github.com/dualnet/dualnet/cmd/"+name).CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/%s: %v\n%s", name, err, b)
	}
	return out
}
