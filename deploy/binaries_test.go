package deploy

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// buildCommand builds cmd/<name> of this module into a temporary directory.
func buildCommand(t *testing.T, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	// go test puts its own GOROOT/bin first in the test's PATH.
	if b, err := exec.Command("go", "build", "-o", out, "github.com/dualnet/dualnet/cmd/"+name).CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/%s: %v\n%s", name, err, b)
	}
	return out
}
