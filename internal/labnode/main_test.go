package labnode

import (
	"testing"

	"github.com/dualnet/dualnet/internal/kubetest"
)

// The node tests talk to a real kube-apiserver (one per test binary).
func TestMain(m *testing.M) { kubetest.Main(m) }
