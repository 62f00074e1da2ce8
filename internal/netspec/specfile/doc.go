// Package specfile gives a dualnet command its network spec: from the spec flags AKS uses
// (Flags), or from a NetworkSpec file that holds the whole spec once (--config), so that the
// controller and every agent read the same one (deploy/dualnet.yaml mounts it from one
// ConfigMap). The rules, the defaults and the arithmetic are package netspec's; this package
// decodes and reads. It is apart from netspec so that the CNI plugin, which needs netspec's
// rules and runs once per pod, does not initialise a YAML decoder on every call.
//
// The file is a Kubernetes-style object whose fields are the flags' names in camelCase
// (netspec.Fields); an omitted field takes the flag's default:
//
//	apiVersion: dualnet.io/v1alpha1
//	kind: NetworkSpec
//	ipFamilies: [ipv4, ipv6]
//	podCIDRs: [10.244.0.0/16, fd12:3456:789a::/64]
//	serviceCIDRs: [10.0.0.0/16, fd12:3456:789a:1::/108]
//	nodeCIDRMaskSizeIPv4: 24
//	nodeCIDRMaskSizeIPv6: 80
//	maxRoutes: 400
//	nodeSubnets: []
package specfile
