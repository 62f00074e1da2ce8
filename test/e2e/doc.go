// Package e2e runs the AKS dual-stack kubenet walkthrough, command for command, against a
// `dualnet lab` on this machine: kubectl with the lab's kubeconfig, the article's exact
// commands, and checks of what they print; then `dualnet lab down` and a check that nothing of
// the lab is left. It needs root, kubectl, curl and the Kubernetes binaries (`make kube-bins`).
//
// It must not reach anything outside the lab: every address it sends to is one the lab
// assigned inside its own namespaces.
package e2e
