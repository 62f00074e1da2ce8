package registry_test

import (
	"testing"

	"github.com/dualnet/dualnet/internal/lab/images/imagestest"
)

// The registries the tests serve listen on the loopback of the test binary's own network
// namespace.
func TestMain(m *testing.M) { imagestest.Main(m) }
