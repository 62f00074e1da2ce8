package lab

import (
	"fmt"
	"os"
	"path/filepath"
)

// pauseImage is the sandbox image every node's containerd runs for each pod. containerd
// normalises references, so it is fully qualified, as pinned_images.sandbox must match it.
const pauseImage = "registry.k8s.io/pause:3.10.2"

// containerdSocket is containerd's CRI socket inside a node (its /run/containerd is the node's).
const containerdSocket = "/run/containerd/containerd.sock"

// ContainerdMetricsAddr is where each node's containerd serves its Prometheus metrics
// (/v1/metrics), on the node's own loopback: bench/podstart reads the CRI's per-pod network
// setup time there.
const ContainerdMetricsAddr = "127.0.0.1:1338"

// containerdConfig is a node's containerd configuration (version 3, containerd 2.x). Its
// paths are containerd's defaults, which inside the node's mount namespace are the node's own
// (nodeMachine), so that containerd calls dualnet-cni from /opt/cni/bin with the conflist in
// /etc/cni/net.d exactly as on a real node.
func containerdConfig(runcPath, certsDir string) string {
	return fmt.Sprintf(`version = 3
root = "/var/lib/containerd"
state = "/run/containerd"
# The opt plugin would create /opt/containerd on the machine; nothing here installs into it.
disabled_plugins = ["io.containerd.internal.v1.opt"]

[grpc]
  address = %[3]q

[metrics]
  address = %[5]q

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "overlayfs"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = %[4]q
    # Every registry resolves to the lab's own (hosts.toml per host, no fallback).
    [plugins.'io.containerd.cri.v1.images'.registry]
      config_path = %[2]q

  [plugins.'io.containerd.cri.v1.runtime']
    # No CAP_SYS_RESOURCE on this kind of machine: a pod's oom_score_adj may only rise.
    restrict_oom_score_adj = true
    # Pod network namespaces under the node's /run/containerd, not the machine's /run/netns.
    netns_mounts_under_state_dir = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = %[1]q
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ["/opt/cni/bin"]
      conf_dir = "/etc/cni/net.d"
      max_conf_num = 1
      # A pod's lo is brought up by containerd itself: the nodes have no loopback plugin
      # (real nodes get one from their image's containernetworking-plugins).
      use_internal_loopback = true

  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"

  [plugins.'io.containerd.nri.v1.nri']
    disable = true
`, runcPath, certsDir, containerdSocket, pauseImage, ContainerdMetricsAddr)
}

// containerdComponent is a node's containerd, run inside the node (nodeMachine.command).
func containerdComponent(cfg Config, m nodeMachine, netns, certsDir string) (component, error) {
	conf := filepath.Join(m.Dir, "containerd.toml")
	if err := os.WriteFile(conf, []byte(containerdConfig(filepath.Join(cfg.NodeBinDir, "runc"), certsDir)), 0o644); err != nil {
		return component{}, err
	}
	path, args := m.command(netns, filepath.Join(cfg.NodeBinDir, "containerd"), "--config="+conf)
	// The kubelet started next needs the socket (it exits when the runtime cannot be reached).
	return component{Name: "containerd-" + m.Name, Path: path, Args: args, Env: nodeEnv(cfg),
		ReadyFile:  m.path(containerdSocket),
		BeforeStop: func() error { return removePods(cfg, m, netns) }}, nil
}

// nodeEnv is the environment of a node's processes: containerd's shim and runc from the node
// binaries, nft (dualnet's and portmap's rules) and the usual tools from the machine.
func nodeEnv(cfg Config) []string {
	return []string{"PATH=" + cfg.NodeBinDir + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"}
}
