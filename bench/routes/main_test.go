package routes

import (
	"flag"
	"os"
	"testing"

	"github.com/dualnet/dualnet/internal/kubetest"
)

// TestMain starts the API server only when benchmarks run: `go test ./...` compiles this
// package but has nothing to run here.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	kubetest.Main(m)
}
