package deploy

import (
	"fmt"
	"net"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"

	"github.com/dualnet/dualnet/internal/netspec/specfile"
)

// specFlags are the network spec flags that the controller and the agent must agree on.
var specFlags = []string{"--ip-families", "--pod-cidrs", "--service-cidrs",
	"--node-cidr-mask-size-ipv4", "--node-cidr-mask-size-ipv6", "--max-routes", "--node-subnets"}

// flagValue is the last value of --name in args (pflag lets the last one win).
func flagValue(args []string, name string) (string, bool) {
	value, found := "", false
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			value, found = v, true
		}
	}
	return value, found
}

func onlyContainer(t *testing.T, pod corev1.PodSpec, what string) corev1.Container {
	t.Helper()
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", what, len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Command) != 1 {
		t.Fatalf("%s: command %q, want the binary alone (flags go in args)", what, c.Command)
	}
	for _, a := range c.Args {
		if !strings.HasPrefix(a, "--") || !strings.Contains(a, "=") {
			t.Errorf("%s: arg %q is not --flag=value (the tests read flags in that form)", what, a)
		}
	}
	return c
}

// The binaries parse the manifests' args: cobra parses every flag (names and value types)
// before it looks at --help, so `binary <args> --help` exits 0 only if all of them parse.
func TestManifestArgsParseInTheBinaries(t *testing.T) {
	for _, c := range []corev1.Container{
		onlyContainer(t, controllerDeployment(t).Spec.Template.Spec, "controller Deployment"),
		onlyContainer(t, agentDaemonSet(t).Spec.Template.Spec, "agent DaemonSet"),
	} {
		name := path.Base(c.Command[0])
		t.Run(name, func(t *testing.T) {
			bin := buildCommand(t, name)
			out, err := exec.Command(bin, append(slices.Clone(c.Args), "--help")...).CombinedOutput()
			if err != nil {
				t.Fatalf("%s %s --help: %v\n%s", name, strings.Join(c.Args, " "), err, out)
			}
			for _, a := range c.Args {
				flag, _, _ := strings.Cut(a, "=")
				if !strings.Contains(string(out), flag+" ") {
					t.Errorf("%s --help does not list %s", name, flag)
				}
			}
		})
	}
}

// The spec lives once, in the ConfigMap dualnet-network-v1: the controller and the agent pass
// --config and no spec flag, mount that ConfigMap read-only where --config points, and its
// file is a valid spec (AKS's rules) that their flags accept.
func TestManifestSpecLivesOnceInAConfigMapBothWorkloadsRead(t *testing.T) {
	cm := networkConfigMap(t)
	// Edited in place, it would reach only the pods that restart: a change is a new ConfigMap.
	if cm.Immutable == nil || !*cm.Immutable {
		t.Errorf("ConfigMap %s is not immutable", cm.Name)
	}
	var sources []configMapFile
	for _, w := range []struct {
		what string
		pod  corev1.PodSpec
	}{{"controller Deployment", controllerDeployment(t).Spec.Template.Spec}, {"agent DaemonSet", agentDaemonSet(t).Spec.Template.Spec}} {
		c := onlyContainer(t, w.pod, w.what)
		config, ok := flagValue(c.Args, "--config")
		if !ok {
			t.Errorf("%s: no --config: the spec must come from the shared ConfigMap", w.what)
			continue
		}
		for _, f := range specFlags {
			if v, set := flagValue(c.Args, f); set {
				t.Errorf("%s: %s=%s beside --config: the spec comes from the ConfigMap alone", w.what, f, v)
			}
		}
		src, err := mountedConfigMapFile(w.pod, c, config)
		if err != nil {
			t.Errorf("%s: --config=%s: %v", w.what, config, err)
			continue
		}
		sources = append(sources, src)

		// The container's args with the ConfigMap's file where the kubelet puts it.
		flags := specfile.NewFlags()
		fs := pflag.NewFlagSet(c.Name, pflag.ContinueOnError)
		fs.ParseErrorsAllowlist.UnknownFlags = true
		flags.AddTo(fs)
		if err := fs.Parse(append(slices.Clone(c.Args), "--config="+networkSpecFile(t))); err != nil {
			t.Fatalf("%s: %v", w.what, err)
		}
		spec, err := flags.Spec()
		if err != nil {
			t.Fatalf("%s: %v", w.what, err)
		}
		if len(spec.Families) != 2 {
			t.Errorf("%s: families %v, want dual-stack ipv4,ipv6", w.what, spec.Families)
		}
	}
	if len(sources) == 2 && sources[0] != sources[1] {
		t.Errorf("controller reads %+v, agent %+v: both must read one network spec", sources[0], sources[1])
	}
	for _, s := range sources {
		if s.configMap != cm.Name {
			t.Errorf("the workloads read ConfigMap %s, the manifest's spec is %s", s.configMap, cm.Name)
			continue
		}
		if _, ok := cm.Data[s.key]; !ok {
			t.Errorf("ConfigMap %s has no key %s for --config", cm.Name, s.key)
			continue
		}
		if _, err := specfile.Parse(s.key, []byte(cm.Data[s.key])); err != nil {
			t.Errorf("ConfigMap %s: %v", cm.Name, err)
		}
	}
}

// configMapFile is a file the kubelet writes from a ConfigMap: the key's value, named after
// the key.
type configMapFile struct{ configMap, key string }

// mountedConfigMapFile says which ConfigMap key the container reads at path: path's
// directory must be a read-only mount of a whole ConfigMap that the pod cannot start without.
func mountedConfigMapFile(pod corev1.PodSpec, c corev1.Container, path string) (configMapFile, error) {
	for _, m := range c.VolumeMounts {
		if m.MountPath != filepath.Dir(path) {
			continue
		}
		if !m.ReadOnly {
			return configMapFile{}, fmt.Errorf("volume %s is mounted read-write at %s, want readOnly", m.Name, m.MountPath)
		}
		if m.SubPath != "" {
			return configMapFile{}, fmt.Errorf("volume %s is mounted with subPath %s, which the kubelet never updates", m.Name, m.SubPath)
		}
		for _, v := range pod.Volumes {
			if v.Name != m.Name {
				continue
			}
			if v.ConfigMap == nil {
				return configMapFile{}, fmt.Errorf("volume %s is not a ConfigMap", v.Name)
			}
			if v.ConfigMap.Optional != nil && *v.ConfigMap.Optional {
				return configMapFile{}, fmt.Errorf("ConfigMap volume %s is optional: a pod must not start without its spec", v.Name)
			}
			if len(v.ConfigMap.Items) > 0 {
				return configMapFile{}, fmt.Errorf("ConfigMap volume %s lists items: mount the ConfigMap whole", v.Name)
			}
			return configMapFile{v.ConfigMap.Name, filepath.Base(path)}, nil
		}
		return configMapFile{}, fmt.Errorf("no volume %s", m.Name)
	}
	return configMapFile{}, fmt.Errorf("nothing is mounted at %s", filepath.Dir(path))
}

// Probes and ports point at --health-addr; the agent knows its node; the host paths hold what
// the agent's CNI flags point at; the controller elects a leader.
func TestManifestPodsAreWiredToTheirFlags(t *testing.T) {
	dep, ds := controllerDeployment(t), agentDaemonSet(t)
	for _, pod := range []struct {
		what string
		spec corev1.PodSpec
	}{{"controller", dep.Spec.Template.Spec}, {"agent", ds.Spec.Template.Spec}} {
		c := onlyContainer(t, pod.spec, pod.what)
		addr, ok := flagValue(c.Args, "--health-addr")
		if !ok {
			t.Fatalf("%s: no --health-addr", pod.what)
		}
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("%s: --health-addr=%s: %v", pod.what, addr, err)
		}
		if len(c.Ports) != 1 || c.Ports[0].Name != "health" || strconv.Itoa(int(c.Ports[0].ContainerPort)) != port {
			t.Errorf("%s: ports %+v, want one named health on --health-addr's port %s", pod.what, c.Ports, port)
		}
		for probe, p := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
			if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != probe || p.HTTPGet.Port.String() != "health" {
				t.Errorf("%s: want an HTTP probe of %s on port health, got %+v", pod.what, probe, p)
			}
		}
		if !pod.spec.HostNetwork {
			t.Errorf("%s: not hostNetwork: it must run before the pod network exists", pod.what)
		}
	}

	if *dep.Spec.Replicas != 2 {
		t.Errorf("controller: %d replicas, want 2", *dep.Spec.Replicas)
	}
	// Host-network replicas cannot share a node: a surge replica would wait forever on a
	// two-node cluster.
	if ru := dep.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxSurge == nil || ru.MaxSurge.IntValue() != 0 {
		t.Errorf("controller: rolling update %+v, want maxSurge 0", ru)
	}
	controller := dep.Spec.Template.Spec.Containers[0]
	if v, _ := flagValue(controller.Args, "--leader-elect"); v != "true" {
		t.Errorf("controller: --leader-elect=%q, want true with 2 replicas", v)
	}
	for _, key := range []string{"node-role.kubernetes.io/control-plane", "node.kubernetes.io/not-ready", "node.kubernetes.io/network-unavailable"} {
		if !tolerates(dep.Spec.Template.Spec, key) {
			t.Errorf("controller: does not tolerate %s", key)
		}
	}
	if sc := dep.Spec.Template.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("controller: does not run as non-root")
	}

	agentSpec := ds.Spec.Template.Spec
	agent := agentSpec.Containers[0]
	if agent.Image != controller.Image {
		t.Errorf("images differ: controller %s, agent %s: one image holds every binary", controller.Image, agent.Image)
	}
	if !toleratesEverything(agentSpec) {
		t.Errorf("agent: tolerates %+v, want every taint (operator Exists)", agentSpec.Tolerations)
	}
	if agentSpec.PriorityClassName != "system-node-critical" {
		t.Errorf("agent: priorityClassName %q, want system-node-critical", agentSpec.PriorityClassName)
	}
	if !slices.ContainsFunc(agent.Env, func(e corev1.EnvVar) bool {
		return e.Name == "NODE_NAME" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "spec.nodeName"
	}) {
		t.Errorf("agent: no NODE_NAME from the downward API's spec.nodeName")
	}
	hostPaths := map[string]string{} // mount path -> host path
	for _, m := range agent.VolumeMounts {
		for _, v := range agentSpec.Volumes {
			if v.Name == m.Name && v.HostPath != nil {
				hostPaths[m.MountPath] = v.HostPath.Path
			}
		}
	}
	for _, f := range []string{"--cni-conf-dir", "--cni-bin-dir", "--cni-data-dir"} {
		dir, ok := flagValue(agent.Args, f)
		if !ok {
			t.Errorf("agent: no %s", f)
			continue
		}
		// The runtime reads these on the host at the same paths the conflist names.
		mounted := false
		for mount, host := range hostPaths {
			if (dir == mount || strings.HasPrefix(dir, mount+"/")) && mount == host {
				mounted = true
			}
		}
		if !mounted {
			t.Errorf("agent: %s=%s is not on a hostPath mounted at the same path (mounts %v)", f, dir, hostPaths)
		}
	}
}

// tolerates says whether a pod with spec may run on a node tainted key (any effect).
func tolerates(spec corev1.PodSpec, key string) bool {
	return slices.ContainsFunc(spec.Tolerations, func(tol corev1.Toleration) bool {
		return tol.Operator == corev1.TolerationOpExists && (tol.Key == key || tol.Key == "")
	})
}

// toleratesEverything says whether spec has the toleration that matches every taint.
func toleratesEverything(spec corev1.PodSpec) bool {
	return slices.ContainsFunc(spec.Tolerations, func(tol corev1.Toleration) bool {
		return tol.Operator == corev1.TolerationOpExists && tol.Key == "" && tol.Effect == ""
	})
}
