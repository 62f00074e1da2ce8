package main

import (
	"os"
	"testing"

	"github.com/dualnet/dualnet/internal/kubetest"
)

// One real etcd + kube-apiserver for the tests of this package; they run the controller
// binary as a subprocess against it, one test after another.
func TestMain(m *testing.M) {
	code := kubetest.Run(m)
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
