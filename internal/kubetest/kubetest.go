// Package kubetest gives a test binary one real Kubernetes control plane (etcd and
// kube-apiserver from `make kube-bins`) for all its tests:
//
//	func TestMain(m *testing.M) { kubetest.Main(m) }
//
// then kubetest.Client(), kubetest.Config() or kubetest.KubeconfigPath() in the tests, and the
// kit of nodes.go: Node and CreateNode build and register Nodes as a kubelet and node IPAM
// would, FastClient writes without client-side throttling, Recorder posts events. Tests of
// one binary share the API server, so each test names its objects uniquely and deletes them in
// t.Cleanup. A control plane that cannot start fails the binary with the reason; it never
// skips, and it never falls back to a fake.
package kubetest

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/dualnet/dualnet/internal/controlplane"
)

var (
	plane      *controlplane.ControlPlane
	clientOnce sync.Once
	client     kubernetes.Interface
)

// Main starts a dual-stack etcd + kube-apiserver, runs the tests, stops the control plane and
// exits with the tests' code. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// MainWith is Main with options, e.g. ControllerManager for tests that need Deployments to
// make Pods, or other service CIDRs.
func MainWith(m *testing.M, opts controlplane.Options) {
	os.Exit(run(m, opts))
}

// Run is Main that returns the tests' exit code instead of exiting, for a TestMain that
// removes what its tests made once they are done (not after Ctrl-C, which exits at once).
func Run(m *testing.M) int {
	return run(m, controlplane.Options{})
}

func run(m *testing.M, opts controlplane.Options) int {
	cp, err := controlplane.Start(context.Background(), opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: cannot start the Kubernetes control plane: %v\n", err)
		return 1
	}
	plane = cp
	// On Ctrl-C or SIGTERM stop the components in order and remove their directory. If this
	// process dies any other way (a test timeout's panic, SIGKILL) the components die with it
	// (Pdeathsig) and only the temporary directory stays behind.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		fmt.Fprintf(os.Stderr, "kubetest: %v: stopping the control plane\n", sig)
		_ = cp.Stop()
		os.Exit(1)
	}()

	code := m.Run()

	signal.Stop(signals)
	if err := cp.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: stopping the control plane: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Plane is the running control plane.
func Plane() *controlplane.ControlPlane {
	if plane == nil {
		panic("kubetest: no control plane: call kubetest.Main(m) from this package's TestMain")
	}
	return plane
}

// Config returns a new admin rest.Config for the API server; callers may change their copy.
func Config() *rest.Config { return Plane().RestConfig() }

// KubeconfigPath is an admin kubeconfig file, for processes that the tests start.
func KubeconfigPath() string { return Plane().KubeconfigPath() }

// Client is a shared admin clientset.
func Client() kubernetes.Interface {
	clientOnce.Do(func() {
		c, err := kubernetes.NewForConfig(Config())
		if err != nil {
			panic(fmt.Sprintf("kubetest: clientset for %s: %v", Plane().ServerURL(), err))
		}
		client = c
	})
	return client
}
