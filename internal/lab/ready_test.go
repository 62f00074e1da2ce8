package lab

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/netspec"
)

// A node that was ready and then is not any more must not be reported as ready when the wait
// times out: the message then points at kube-proxy (what it last waited for) instead of the node.
func TestWaitNodesReadyBlamesTheNodesWhenTheyStopBeingReadyBeforeTheTimeout(t *testing.T) {
	cfg := Config{Name: "dn-ready-test", StateRoot: t.TempDir(), Nodes: 1, Spec: netspec.Default(), Routes: RoutesHost}
	st := &State{stateRecord: stateRecord{Name: cfg.Name, Dir: cfg.Dir()}}
	// The agent's CNI config is there; the lab node's namespace is not, so kube-proxy never
	// answers and the lab waits for it once the node is ready.
	conf := dirsOf(st, cfg.Names().Node(0)).conf
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(conf, cnicontract.FileName), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	node := corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: cfg.Names().Node(0)},
		Spec:       corev1.NodeSpec{PodCIDRs: []string{"10.244.0.0/24", "fd12:3456:789a::/80"}},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
	}
	// The first list shows the node ready, every later one not Ready.
	var lists atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/nodes":
			n := node
			if lists.Add(1) > 1 {
				n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse}}
			}
			json.NewEncoder(w).Encode(corev1.NodeList{TypeMeta: metav1.TypeMeta{Kind: "NodeList", APIVersion: "v1"}, Items: []corev1.Node{n}})
		case "/api/v1/namespaces/default/serviceaccounts/default":
			json.NewEncoder(w).Encode(corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{Kind: "ServiceAccount", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "default"}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(api.Close)
	if err := os.MkdirAll(cfg.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	progress, err := openProgress(cfg.Dir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { progress.Close() })

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	client, err := kubernetes.NewForConfig(&rest.Config{Host: api.URL})
	if err != nil {
		t.Fatal(err)
	}
	err = waitNodesReady(ctx, client, cfg, progress, newChildren(st, progress), st)
	if lists.Load() < 2 {
		t.Fatalf("the API server was listed %d times, want the node seen ready and then not", lists.Load())
	}
	if err == nil || !strings.Contains(err.Error(), "the nodes did not become ready") {
		t.Errorf("waitNodesReady = %v; want it to say the nodes did not become ready", err)
	}
}

// A node that registered but got no pod CIDRs: the message says how the pods that would give
// them stand, those on the node only, as kubectl get pods shows them.
func TestNodePodsSaysHowThePodsOnTheNodeStand(t *testing.T) {
	pod := func(name, node string, status corev1.PodStatus) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system"}, Spec: corev1.PodSpec{NodeName: node}, Status: status}
	}
	waiting := func(reason string) corev1.PodStatus {
		return corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}}}
	}
	client := fake.NewClientset(
		pod("dualnet-controller-5cb6-ghsw4", "dn-n-node-0", corev1.PodStatus{Phase: corev1.PodRunning}),
		pod("kube-proxy-s76tx", "dn-n-node-0", waiting("ErrImagePull")),
		pod("dualnet-agent-w7vx7", "dn-n-node-0", corev1.PodStatus{}),
		pod("kube-proxy-q2x9z", "dn-n-node-1", waiting("ContainerCreating")),
	)
	got := nodePods(t.Context(), client, "dn-n-node-0")
	want := "dualnet-agent-w7vx7 Pending, dualnet-controller-5cb6-ghsw4 Running, not ready, kube-proxy-s76tx ErrImagePull, dualnet-controller's leader none"
	if got != want {
		t.Errorf("nodePods = %q\nwant        %q", got, want)
	}
	if got := nodePods(t.Context(), fake.NewClientset(), "dn-n-node-0"); got != "no pod of kube-system on it, dualnet-controller's leader none" {
		t.Errorf("nodePods of a node without pods = %q", got)
	}
}
