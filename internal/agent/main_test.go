package agent_test

import (
	"testing"

	"github.com/dualnet/dualnet/internal/kubetest"
)

// The acceptance tests run agents against one real kube-apiserver; nodes are namespaces on a
// shared virtual network, pods are made by dualnet-cni through libcni.
func TestMain(m *testing.M) { kubetest.Main(m) }
