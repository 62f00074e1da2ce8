package deploy

import (
	"testing"

	"github.com/dualnet/dualnet/internal/kubetest"
)

// The manifests are proved on one real etcd + kube-apiserver (RBAC on) per test binary.
func TestMain(m *testing.M) { kubetest.Main(m) }
