// Package controlplane runs a real Kubernetes control plane on this machine from the binaries
// that `make kube-bins` builds (test/kube): etcd and kube-apiserver, and on request
// kube-controller-manager and kube-scheduler. Tests (through internal/kubetest) and the lab use
// it, so both talk to the same API server code a cluster runs.
//
// It listens only on the addresses it is given (loopback by default), keeps all its state in one
// temporary directory that Stop removes, and ends only the processes it started, by PID. It must
// not install anything, touch the host's network, or fall back to fakes when a binary is missing.
package controlplane
