package lab

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/dualnet/dualnet/internal/controlplane"
	"github.com/dualnet/dualnet/internal/netspec"
)

// kubeletComponent is a node's kubelet (v1.37, built by test/kube), run inside the node
// (nodeMachine.command) against the node's containerd, registering the node with its
// InternalIP of each family, IPv4 first, and the zone labels of the index-th node of a zonal
// pool, as an AKS node does.
func kubeletComponent(cfg Config, cp *controlplane.ControlPlane, server string, m nodeMachine, index int, netns string, addrs []netip.Prefix) (component, error) {
	dir := filepath.Join(m.Dir, "kubelet")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return component{}, err
	}
	ips := make([]netip.Addr, len(addrs))
	ipStrings := make([]string, len(addrs))
	for i, a := range addrs {
		ips[i], ipStrings[i] = a.Addr(), a.Addr().String()
	}
	// Its identity for the Node authorizer, and the serving certificate the API server checks
	// when it dials the node's InternalIP for exec, logs and port-forward.
	client, err := cp.ClientConfig("system:node:"+m.Name, "system:nodes")
	if err != nil {
		return component{}, err
	}
	client.Host = server
	client.Dial = nil
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := controlplane.WriteKubeconfig(kubeconfig, client); err != nil {
		return component{}, err
	}
	certPEM, keyPEM, err := cp.ServingPair([]string{m.Name}, ips)
	if err != nil {
		return component{}, err
	}
	files := map[string][]byte{
		"ca.crt":      cp.CACertPEM(),
		"kubelet.crt": certPEM,
		"kubelet.key": keyPEM,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return component{}, err
		}
	}
	conf, err := kubeletConfig(cfg.Spec, dir)
	if err != nil {
		return component{}, err
	}
	confPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(confPath, conf, 0o644); err != nil {
		return component{}, err
	}
	path, args := m.command(netns, filepath.Join(cfg.KubeBinDir, "kubelet"),
		"--config="+confPath,
		"--kubeconfig="+kubeconfig,
		"--hostname-override="+m.Name,
		"--node-ip="+strings.Join(ipStrings, ","),
		"--node-labels="+nodeTopologyLabels(index),
	)
	return component{Name: "kubelet-" + m.Name, Path: path, Args: args, Env: nodeEnv(cfg), Node: m.Name}, nil
}

// kubeletConfig is the node's KubeletConfiguration. What differs from a kubeadm node is what
// this kind of machine forces: a cgroup v1 host without systemd (failCgroupV1: false, the
// cgroupfs driver, no QoS tree), no CAP_SYS_RESOURCE (oomScoreAdj 0) and nodes that share
// one disk (no image garbage collection or disk eviction acting on the others' files).
func kubeletConfig(spec netspec.Spec, dir string) ([]byte, error) {
	var clusterDNS []string
	for _, p := range spec.ServiceCIDRs {
		clusterDNS = append(clusterDNS, clusterDNSAddr(p).String())
	}
	c := map[string]any{
		"apiVersion":                  "kubelet.config.k8s.io/v1beta1",
		"kind":                        "KubeletConfiguration",
		"failCgroupV1":                false,
		"cgroupDriver":                "cgroupfs",
		"cgroupsPerQOS":               false,
		"enforceNodeAllocatable":      []string{"none"},
		"failSwapOn":                  false,
		"containerRuntimeEndpoint":    "unix://" + containerdSocket,
		"oomScoreAdj":                 0,
		"imageGCHighThresholdPercent": 100,
		"evictionHard": map[string]string{
			"nodefs.available":  "0%",
			"nodefs.inodesFree": "0%",
			"imagefs.available": "0%",
		},
		"readOnlyPort":        0,
		"healthzBindAddress":  "127.0.0.1",
		"serializeImagePulls": false,
		// No resolver of the machine's: pods with dnsPolicy Default (CoreDNS among them)
		// get none, so no query ever leaves the lab.
		"resolvConf":        "",
		"clusterDNS":        clusterDNS,
		"clusterDomain":     "cluster.local",
		"tlsCertFile":       filepath.Join(dir, "kubelet.crt"),
		"tlsPrivateKeyFile": filepath.Join(dir, "kubelet.key"),
		"authentication": map[string]any{
			"anonymous": map[string]any{"enabled": false},
			"webhook":   map[string]any{"enabled": true},
			"x509":      map[string]any{"clientCAFile": filepath.Join(dir, "ca.crt")},
		},
		"authorization": map[string]any{"mode": "Webhook"},
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("kubelet configuration: %w", err)
	}
	return out, nil
}

// clusterDNSAddr is kube-dns's address in a service range: the tenth, as AKS and kubeadm
// place it (10.0.0.10).
func clusterDNSAddr(serviceCIDR netip.Prefix) netip.Addr {
	return addOffset(serviceCIDR.Masked().Addr(), 10)
}
