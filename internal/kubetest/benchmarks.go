package kubetest

import (
	"flag"
	"os"
	"testing"
)

// MainForBenchmarks is Main for packages that hold only benchmarks: it starts the control
// plane only when -test.bench is set, so `go test ./...` compiles such a package without
// paying for an API server it has nothing to run against.
func MainForBenchmarks(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	Main(m)
}
