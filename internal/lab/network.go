package lab

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/dualnet/dualnet/deploy"
	"github.com/dualnet/dualnet/internal/controlplane"
	"github.com/dualnet/dualnet/internal/lab/images"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/netspec/specfile"
)

var (
	// dualnetOverlay is the lab's kustomize overlay of deploy/ (addons/dualnet).
	//go:embed addons/dualnet/*.yaml
	dualnetOverlay embed.FS
	//go:embed addons/kube-proxy.yaml
	kubeProxyManifest string
)

// dualnetOverlayDir is the overlay's path in the repository, relative to its root; its
// kustomization names deploy/ by the relative path from there.
const dualnetOverlayDir = "internal/lab/addons/dualnet"

// installNetwork installs the cluster's pod network as a cluster's installer does, before the
// nodes join: kube-proxy (a DaemonSet; the "kubernetes" Service's ClusterIP, which dualnet's
// pods use, needs it on their node) and dualnet with `kubectl apply -k`: deploy/ as users
// apply it, through the lab's overlay with --routes=azure (the ConfigMap dualnet-lab-arm first,
// which that overlay reads). The nodes stay NotReady until their agent's pod has written the
// conflist; the supervisor's waits see everything become ready by itself.
func installNetwork(ctx context.Context, cfg Config, st *State, kubeconfig, server string, a *arm) error {
	proxy, err := kubeProxyObjects(cfg, server)
	if err != nil {
		return err
	}
	if err := kubectlApply(ctx, cfg, kubeconfig, "the kube-proxy add-on", proxy, "-f", "-"); err != nil {
		return err
	}
	if a != nil {
		cm, err := a.configMap()
		if err != nil {
			return err
		}
		if err := kubectlApply(ctx, cfg, kubeconfig, "the ConfigMap "+armConfigMap, cm, "-f", "-"); err != nil {
			return err
		}
	}
	dir, err := writeManifests(filepath.Join(st.Dir, "manifests"), cfg.Routes, cfg.Spec, cfg.LoadBalancer.agentFlags())
	if err != nil {
		return err
	}
	return kubectlApply(ctx, cfg, kubeconfig, "dualnet (kubectl apply -k "+dir+")", nil, "-k", dir)
}

// kubeProxyObjects fills in the kube-proxy add-on: the lab's image of the Kubernetes version,
// the API server on the virtual network, and the flags of every lab kube-proxy.
func kubeProxyObjects(cfg Config, server string) ([]byte, error) {
	var b bytes.Buffer
	err := template.Must(template.New("kube-proxy").Parse(kubeProxyManifest)).Execute(&b, map[string]any{
		"Image":  images.KubeProxyRepository + ":" + controlplane.KubeVersion,
		"Server": server,
		"Flags":  kubeProxyFlags(cfg.Spec),
	})
	return b.Bytes(), err
}

// writeManifests writes deploy/ and the lab's overlay under root, at their paths in the
// repository, and returns the directory to apply: the overlay with --routes=azure, deploy/
// itself with --routes=host (its own routes). A lab spec other than deploy/'s ConfigMap's, or
// agent flags of the lab's (agentFlags), are one more layer on top (lab-local).
func writeManifests(root string, routes RouteMode, spec netspec.Spec, agentFlags []string) (string, error) {
	files := map[string][]byte{
		"deploy/dualnet.yaml":       deploy.Manifest,
		"deploy/kustomization.yaml": deploy.Kustomization,
	}
	err := fs.WalkDir(dualnetOverlay, "addons/dualnet", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := dualnetOverlay.ReadFile(path)
		files[filepath.Join(dualnetOverlayDir, filepath.Base(path))] = data
		return err
	})
	if err != nil {
		return "", err
	}
	apply := "deploy"
	switch routes {
	case RoutesAzure:
		apply = dualnetOverlayDir
	case RoutesHost:
	default:
		return "", fmt.Errorf("--routes=%s: dualnet runs as the cluster's pods, which support azure and host", routes)
	}
	same, err := sameSpecAsDeploy(spec)
	if err != nil {
		return "", err
	}
	if !same || len(agentFlags) > 0 {
		var s *netspec.Spec
		if !same {
			s = &spec
		}
		layer, err := localLayer(apply, s, agentFlags)
		if err != nil {
			return "", err
		}
		for name, data := range layer {
			files[name] = data
		}
		apply = localLayerDir
	}
	for name, data := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return "", err
		}
	}
	return filepath.Join(root, apply), nil
}

// deployNetworkYAML is network.yaml of deploy/'s ConfigMap dualnet-network-v1.
func deployNetworkYAML() ([]byte, error) {
	for _, doc := range bytes.Split(deploy.Manifest, []byte("\n---\n")) {
		var obj struct {
			Kind     string                `json:"kind"`
			Metadata struct{ Name string } `json:"metadata"`
			Data     map[string]string     `json:"data"`
		}
		if yaml.Unmarshal(doc, &obj) == nil && obj.Kind == "ConfigMap" && obj.Metadata.Name == "dualnet-network-v1" {
			return []byte(obj.Data["network.yaml"]), nil
		}
	}
	return nil, fmt.Errorf("deploy/dualnet.yaml has no ConfigMap dualnet-network-v1")
}

// sameSpecAsDeploy says whether spec is deploy/'s: families, pod and service CIDRs, node CIDR
// sizes and route limit. The node subnets are the lab's own (its virtual network), never
// given to dualnet.
func sameSpecAsDeploy(spec netspec.Spec) (bool, error) {
	data, err := deployNetworkYAML()
	if err != nil {
		return false, err
	}
	base, err := specfile.Parse("deploy/dualnet.yaml: dualnet-network-v1/network.yaml", data)
	if err != nil {
		return false, err
	}
	return slices.Equal(base.Families, spec.Families) && slices.Equal(base.PodCIDRs, spec.PodCIDRs) &&
		slices.Equal(base.ServiceCIDRs, spec.ServiceCIDRs) && base.NodeMaskSizeIPv4 == spec.NodeMaskSizeIPv4 &&
		base.NodeMaskSizeIPv6 == spec.NodeMaskSizeIPv6 && base.MaxRoutes == spec.MaxRoutes, nil
}

// localLayerDir is the layer of what only this lab sets, over the overlay or deploy/.
const localLayerDir = "lab-local"

// localLayer is a kustomization over dir that sets network.yaml of dualnet-network-v1 to spec
// (when not nil) and appends agentFlags to the agent's args.
func localLayer(dir string, spec *netspec.Spec, agentFlags []string) (map[string][]byte, error) {
	files := map[string][]byte{}
	var patches []map[string]any
	if spec != nil {
		patch, err := networkSpecPatch(*spec)
		if err != nil {
			return nil, err
		}
		files[localLayerDir+"/network-spec.yaml"] = patch
		patches = append(patches, map[string]any{"path": "network-spec.yaml"})
	}
	if len(agentFlags) > 0 {
		ops := make([]map[string]any, len(agentFlags))
		for i, f := range agentFlags {
			ops[i] = map[string]any{"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": f}
		}
		patch, err := yaml.Marshal(ops)
		if err != nil {
			return nil, err
		}
		files[localLayerDir+"/agent-flags.yaml"] = patch
		patches = append(patches, map[string]any{"path": "agent-flags.yaml", "target": map[string]string{
			"group": "apps", "version": "v1", "kind": "DaemonSet", "name": "dualnet-agent", "namespace": "kube-system"}})
	}
	kustomization, err := yaml.Marshal(map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
		"resources": []string{"../" + dir},
		"patches":   patches,
	})
	files[localLayerDir+"/kustomization.yaml"] = kustomization
	return files, err
}

// networkSpecPatch is a strategic merge patch that sets dualnet-network-v1's network.yaml.
func networkSpecPatch(spec netspec.Spec) ([]byte, error) {
	fams := make([]string, len(spec.Families))
	for i, f := range spec.Families {
		fams[i] = string(f)
	}
	network, err := yaml.Marshal(map[string]any{
		"apiVersion":           specfile.APIVersion,
		"kind":                 specfile.Kind,
		"ipFamilies":           fams,
		"podCIDRs":             strings.Split(joinCIDRs(spec.PodCIDRs), ","),
		"serviceCIDRs":         strings.Split(joinCIDRs(spec.ServiceCIDRs), ","),
		"nodeCIDRMaskSizeIPv4": spec.NodeMaskSizeIPv4,
		"nodeCIDRMaskSizeIPv6": spec.NodeMaskSizeIPv6,
		"maxRoutes":            spec.MaxRoutes,
	})
	if err != nil {
		return nil, err
	}
	return yaml.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "dualnet-network-v1", "namespace": "kube-system"},
		"data":     map[string]string{"network.yaml": string(network)},
	})
}

// kubectlApply runs kubectl apply with args (and stdin, when given), as an installer does.
func kubectlApply(ctx context.Context, cfg Config, kubeconfig, what string, stdin []byte, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(cfg.KubeBinDir, "kubectl"), append([]string{"--kubeconfig=" + kubeconfig, "apply"}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kubectl apply of %s: %v: %s", what, err, strings.TrimSpace(string(out)))
	}
	return nil
}
