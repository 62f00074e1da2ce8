package main

import (
	"testing"

	"github.com/dualnet/dualnet/internal/kubetest"
)

// One real etcd + kube-apiserver for the tests of this package; they run the controller
// binary as a subprocess against it, one test after another.
func TestMain(m *testing.M) { kubetest.Main(m) }
