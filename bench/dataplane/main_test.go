package dataplane

import (
	"testing"

	"github.com/dualnet/dualnet/internal/kubetest"
)

// TestMain starts the API server only when benchmarks run: `go test ./...` compiles this
// package but has nothing to run here.
func TestMain(m *testing.M) { kubetest.MainForBenchmarks(m) }
