// Package deploy holds the manifests that run dualnet in a cluster (dualnet.yaml: service
// accounts, RBAC, the controller Deployment and the agent DaemonSet) and the tests that
// prove them on a real kube-apiserver.
//
// It must not hold logic of its own: the manifests are data for kubectl, embedded here only
// so that tests (and tools such as the lab) read the same bytes a platform engineer applies.
package deploy

import _ "embed"

// Manifest is deploy/dualnet.yaml, a multi-document YAML stream.
//
//go:embed dualnet.yaml
var Manifest []byte

// Kustomization is deploy/kustomization.yaml, which makes deploy/ a kustomize base
// (`kubectl apply -k deploy/`, and overlays with deploy/ among their resources).
//
//go:embed kustomization.yaml
var Kustomization []byte
