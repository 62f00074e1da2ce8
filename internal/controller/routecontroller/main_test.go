package routecontroller_test

import (
	"testing"

	"github.com/dualnet/dualnet/internal/kubetest"
)

// One real etcd + kube-apiserver for every test of this package; the tests run one after
// another and each removes the nodes it created.
func TestMain(m *testing.M) { kubetest.Main(m) }
