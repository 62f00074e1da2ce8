package lab

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/dualnet/dualnet/deploy"
	"github.com/dualnet/dualnet/internal/controlplane"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/netspec/specfile"
)

// kustomize builds dir with the kubectl of make kube-bins, as kubectl apply -k does.
func kustomize(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	kubectl := filepath.Join(controlplane.BinDir(), "kubectl")
	out, err := exec.Command(kubectl, "kustomize", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s (make kube-bins builds kubectl)", dir, err, out)
	}
	return objects(t, out)
}

// objects are the documents of a YAML stream by kind/name.
func objects(t *testing.T, stream []byte) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, doc := range bytes.Split(stream, []byte("\n---\n")) {
		// The separator's newline ends the document before it (a block scalar keeps it).
		doc = append(doc, '\n')
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatalf("%v in\n%s", err, doc)
		}
		if obj == nil {
			continue
		}
		name := obj["metadata"].(map[string]any)["name"].(string)
		out[obj["kind"].(string)+"/"+name] = obj
	}
	return out
}

// podSpec is the pod template's spec of a workload, and its first container.
func podSpec(obj map[string]any) (spec, container map[string]any) {
	spec = obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	return spec, spec["containers"].([]any)[0].(map[string]any)
}

func strs(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// The lab's overlay changes deploy/ only where a lab must: the controller's route flags (with
// the Azure values from the ConfigMap dualnet-lab-arm, its certificate mounted) and the
// agent's --routes. Every other object and field is deploy/dualnet.yaml's.
func TestLabOverlayChangesOnlyTheRoutesOfDeploy(t *testing.T) {
	dir, err := writeManifests(t.TempDir(), RoutesAzure, netspec.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := kustomize(t, dir)
	base := objects(t, deploy.Manifest)
	if len(got) != len(base) {
		t.Fatalf("the overlay gives %d objects, deploy/dualnet.yaml %d", len(got), len(base))
	}

	ctrl, agent := "Deployment/dualnet-controller", "DaemonSet/dualnet-agent"
	_, c := podSpec(got[ctrl])
	_, baseC := podSpec(base[ctrl])
	wantArgs := slices.Clone(strs(baseC["args"]))
	i := slices.Index(wantArgs, "--routes=host")
	wantArgs = slices.Replace(wantArgs, i, i+1, "--routes=azure",
		"--azure-endpoint=$(LAB_ARM_ENDPOINT)", "--azure-ca-file=/etc/dualnet-lab-arm/ca.crt",
		"--azure-subscription-id=$(LAB_ARM_SUBSCRIPTION_ID)", "--azure-resource-group=$(LAB_ARM_RESOURCE_GROUP)",
		"--azure-route-table=$(LAB_ARM_ROUTE_TABLE)", "--azure-credential=none", "--routes-resync=10s")
	if args := strs(c["args"]); !slices.Equal(args, wantArgs) {
		t.Errorf("controller args:\n%q\nwant\n%q", args, wantArgs)
	}
	for _, env := range c["env"].([]any) {
		ref := env.(map[string]any)["valueFrom"].(map[string]any)["configMapKeyRef"].(map[string]any)
		if ref["name"] != armConfigMap {
			t.Errorf("controller env %v: want it from the ConfigMap %s", env, armConfigMap)
		}
	}
	_, a := podSpec(got[agent])
	_, baseA := podSpec(base[agent])
	wantAgent := slices.Clone(strs(baseA["args"]))
	wantAgent[slices.Index(wantAgent, "--routes=host")] = "--routes=azure"
	if args := strs(a["args"]); !slices.Equal(args, wantAgent) {
		t.Errorf("agent args:\n%q\nwant\n%q", args, wantAgent)
	}

	// With those fields put back as deploy/ has them, everything is deploy/'s.
	spec, _ := podSpec(got[ctrl])
	baseSpec, _ := podSpec(base[ctrl])
	c["args"], a["args"] = baseC["args"], baseA["args"]
	delete(c, "env")
	c["volumeMounts"] = c["volumeMounts"].([]any)[:len(baseC["volumeMounts"].([]any))]
	spec["volumes"] = spec["volumes"].([]any)[:len(baseSpec["volumes"].([]any))]
	for name, obj := range base {
		if !reflect.DeepEqual(got[name], obj) {
			t.Errorf("%s differs from deploy/dualnet.yaml's beyond the routes:\n%v\nwant\n%v", name, got[name], obj)
		}
	}
}

// The overlay in the repository is the one the lab writes and applies, and it builds there as
// it is (`kubectl apply -k internal/lab/addons/dualnet` from a clone).
func TestTheRepositorysOverlayIsTheLabs(t *testing.T) {
	dir, err := writeManifests(t.TempDir(), RoutesAzure, netspec.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kustomize(t, dir), kustomize(t, "addons/dualnet"); !reflect.DeepEqual(got, want) {
		t.Error("the lab's written overlay and internal/lab/addons/dualnet build different objects")
	}
}

// With --routes=host, the lab applies deploy/ as it is; a spec other than deploy/'s reaches
// dualnet through its ConfigMap, and nothing else changes.
func TestHostRoutesApplyDeployAsItIsAndASpecOnlyChangesTheConfigMap(t *testing.T) {
	dir, err := writeManifests(t.TempDir(), RoutesHost, netspec.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	base := objects(t, deploy.Manifest)
	if got := kustomize(t, dir); !reflect.DeepEqual(got, base) {
		t.Errorf("--routes=host: %s builds other objects than deploy/dualnet.yaml", dir)
	}

	in := netspec.DefaultInput()
	in.PodCIDRs = "10.100.0.0/16,fd00:100::/64"
	in.MaxRoutes = 200
	spec, err := netspec.Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	dir, err = writeManifests(t.TempDir(), RoutesHost, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := kustomize(t, dir)
	cm := "ConfigMap/dualnet-network-v1"
	network := got[cm]["data"].(map[string]any)["network.yaml"].(string)
	parsed, err := specfile.Parse("network.yaml", []byte(network))
	if err != nil {
		t.Fatalf("the lab's network.yaml: %v\n%s", err, network)
	}
	spec.File = "network.yaml" // where this parse read it from
	if !reflect.DeepEqual(parsed, spec) {
		t.Errorf("the lab's network.yaml gives %+v, want %+v", parsed, spec)
	}
	got[cm]["data"] = base[cm]["data"]
	if !reflect.DeepEqual(got, base) {
		t.Error("a lab spec changed more than the ConfigMap's network.yaml")
	}
}

// kube-proxy runs as kubeadm runs it, with the lab's flags, on every node's network.
func TestKubeProxyDaemonSetRunsTheLabsFlagsOnTheNodesNetwork(t *testing.T) {
	cfg := Config{Spec: netspec.Default()}
	data, err := kubeProxyObjects(cfg, "https://10.240.0.8:6443")
	if err != nil {
		t.Fatal(err)
	}
	objs := objects(t, data)
	spec, c := podSpec(objs["DaemonSet/kube-proxy"])
	if spec["hostNetwork"] != true || c["securityContext"].(map[string]any)["privileged"] != true {
		t.Errorf("kube-proxy: hostNetwork %v, securityContext %v; want both", spec["hostNetwork"], c["securityContext"])
	}
	if c["image"] != "registry.k8s.io/kube-proxy:"+controlplane.KubeVersion {
		t.Errorf("kube-proxy image %v", c["image"])
	}
	cmd := strs(c["command"])
	for _, f := range append(kubeProxyFlags(cfg.Spec), "--hostname-override=$(NODE_NAME)", "--kubeconfig=/var/lib/kube-proxy/kubeconfig.conf") {
		if !slices.Contains(cmd, f) {
			t.Errorf("kube-proxy command %q lacks %s", cmd, f)
		}
	}
	kc := objs["ConfigMap/kube-proxy"]["data"].(map[string]any)["kubeconfig.conf"].(string)
	if !strings.Contains(kc, "server: https://10.240.0.8:6443") || !strings.Contains(kc, "tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token") {
		t.Errorf("kube-proxy's kubeconfig:\n%s", kc)
	}
	if _, ok := objs["ClusterRoleBinding/kubeadm:node-proxier"]; !ok {
		t.Error("no binding of the kube-proxy ServiceAccount to system:node-proxier")
	}
}

// --fix-azure-lb-ipv6-probe=false reaches the agent's pods as one more arg, and changes
// nothing else of what the lab applies.
func TestLabAgentFlagsAreAppendedToTheAgentsArgsOnly(t *testing.T) {
	flags := LoadBalancerOptions{NoIPv6ProbeFix: true}.agentFlags()
	dir, err := writeManifests(t.TempDir(), RoutesAzure, netspec.Default(), flags)
	if err != nil {
		t.Fatal(err)
	}
	got, want := kustomize(t, dir), kustomize(t, "addons/dualnet")
	_, a := podSpec(got["DaemonSet/dualnet-agent"])
	_, baseA := podSpec(want["DaemonSet/dualnet-agent"])
	args, baseArgs := strs(a["args"]), strs(baseA["args"])
	if wantArgs := append(slices.Clone(baseArgs), "--fix-azure-lb-ipv6-probe=false"); !slices.Equal(args, wantArgs) {
		t.Errorf("agent args:\n%q\nwant\n%q", args, wantArgs)
	}
	a["args"] = baseA["args"]
	if !reflect.DeepEqual(got, want) {
		t.Error("the agent's flags changed more than the agent's args")
	}
}
