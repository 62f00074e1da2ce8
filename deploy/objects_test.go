package deploy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/dualnet/dualnet/internal/kubetest"
)

// manifestObjects is every object of Manifest, in file order.
func manifestObjects(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(Manifest)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read dualnet.yaml: %v", err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatalf("dualnet.yaml document %d: %v", len(objs)+1, err)
		}
		if len(bytes.TrimSpace(js)) == 0 || string(bytes.TrimSpace(js)) == "null" {
			continue // a comment-only document
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(js); err != nil {
			t.Fatalf("dualnet.yaml document %d: %v", len(objs)+1, err)
		}
		objs = append(objs, obj)
	}
	if len(objs) == 0 {
		t.Fatal("dualnet.yaml holds no objects")
	}
	return objs
}

// typed converts a manifest object into its client-go type (a *appsv1.Deployment, ...).
func typed[T any](t *testing.T, obj *unstructured.Unstructured) T {
	t.Helper()
	var out T
	js, err := obj.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	decoded, _, err := scheme.Codecs.UniversalDeserializer().Decode(js, nil, nil)
	if err != nil {
		t.Fatalf("decode %s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
	out, ok := decoded.(T)
	if !ok {
		t.Fatalf("%s %s decodes to %T, not %T", obj.GetKind(), obj.GetName(), decoded, out)
	}
	return out
}

// find is the one manifest object of kind and name.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("dualnet.yaml has no %s %s", kind, name)
	return nil
}

func controllerDeployment(t *testing.T) *appsv1.Deployment {
	return typed[*appsv1.Deployment](t, find(t, manifestObjects(t), "Deployment", "dualnet-controller"))
}

func agentDaemonSet(t *testing.T) *appsv1.DaemonSet {
	return typed[*appsv1.DaemonSet](t, find(t, manifestObjects(t), "DaemonSet", "dualnet-agent"))
}

// networkConfigMap holds the network spec that the controller and the agent share.
func networkConfigMap(t *testing.T) *corev1.ConfigMap {
	return typed[*corev1.ConfigMap](t, find(t, manifestObjects(t), "ConfigMap", "dualnet-network-v1"))
}

// networkSpecFile writes the ConfigMap's spec file where a binary started by a test can read
// it, as the kubelet writes it at the workloads' --config, and returns its path.
func networkSpecFile(t *testing.T) string {
	t.Helper()
	const key = "network.yaml"
	data, ok := networkConfigMap(t).Data[key]
	if !ok {
		t.Fatalf("ConfigMap dualnet-network-v1 has no key %s", key)
	}
	path := filepath.Join(t.TempDir(), key)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// applyManifest creates every object of Manifest on the test's API server with strict field
// validation (an unknown or misspelt field fails), and deletes them when the test ends.
func applyManifest(t *testing.T) {
	t.Helper()
	cfg := kubetest.Config()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := restmapper.GetAPIGroupResources(kubetest.Client().Discovery())
	if err != nil {
		t.Fatalf("discover API resources: %v", err)
	}
	mapper := restmapper.NewDiscoveryRESTMapper(groups)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, obj := range manifestObjects(t) {
		gvk := obj.GroupVersionKind()
		mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s %s: the API server does not serve it: %v", gvk, obj.GetName(), err)
		}
		var client dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			if obj.GetNamespace() == "" {
				t.Fatalf("%s %s: namespaced and has no metadata.namespace (kubectl would put it in the current namespace)", gvk.Kind, obj.GetName())
			}
			client = dyn.Resource(mapping.Resource).Namespace(obj.GetNamespace())
		}
		if _, err := client.Create(ctx, obj, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}); err != nil {
			t.Fatalf("create %s %s/%s: %v", gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := client.Delete(ctx, obj.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("delete %s %s/%s: %v", gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
			}
		})
	}
}

func TestManifestObjectsAreAcceptedByTheAPIServer(t *testing.T) {
	applyManifest(t)
	// Each object is there as written; no admission rewrote it away.
	for _, obj := range manifestObjects(t) {
		if obj.GetKind() == "Deployment" {
			got, err := kubetest.Client().AppsV1().Deployments(obj.GetNamespace()).Get(context.Background(), obj.GetName(), metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get Deployment %s: %v", obj.GetName(), err)
			}
			if *got.Spec.Replicas != 2 {
				t.Errorf("Deployment %s: %d replicas, want 2 (one leads, one stands by)", got.Name, *got.Spec.Replicas)
			}
		}
	}
}
