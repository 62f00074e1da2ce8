package registry_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/lab/images/imagestest"
)

// The whole test binary runs in a network namespace of its own: the registries the tests
// serve listen on its loopback only, and the kernel removes it when the binary ends.
func TestMain(m *testing.M) {
	if err := cnitest.RunInNodeNamespace(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	imagestest.RemoveLab()
	os.Exit(code)
}
