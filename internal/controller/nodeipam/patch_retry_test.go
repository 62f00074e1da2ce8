package nodeipam_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/dualnet/dualnet/internal/controller/nodeipam"
	"github.com/dualnet/dualnet/internal/controller/nodeipam/nodeipamtest"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// A node write the API server refuses for good (here an admission policy; RBAC would do the
// same) is retried with a growing wait, not every few milliseconds, and the node gets its
// CIDRs once the refusal ends.
func TestARefusedCIDRWriteIsRetriedWithAGrowingWait(t *testing.T) {
	admin := kubetest.Client()
	ctx := context.Background()
	name := nodeipamtest.Names(t, 1)[0]
	nodeipamtest.CreateNodes(t, admin, []string{name}, nil)
	binding := refusePodCIDRs(t, admin, name)

	var patches atomic.Int64
	cfg := kubetest.Config()
	cfg.QPS, cfg.Burst = 2000, 4000
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodPatch && strings.HasSuffix(r.URL.Path, "/nodes/"+name) {
				patches.Add(1)
			}
			return rt.RoundTrip(r)
		})
	})
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	startControllerWith(t, client, nodeipam.Options{Spec: netspec.Default()})

	// 5 ms doubled per failure: about 10 writes in 3 s. Without the growing wait the queue's
	// limit alone (10 a second after a burst of 100) would allow over a hundred.
	time.Sleep(3 * time.Second)
	if n := patches.Load(); n < 3 || n > 15 {
		t.Errorf("%d writes of the node in 3 s of refusals, want 3 to 15", n)
	}
	if err := admin.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Delete(ctx, binding, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	nodeipamtest.WaitAssigned(t, admin, []string{name}, 30*time.Second)
}

// refusePodCIDRs makes kube-apiserver refuse any write that gives the node pod CIDRs, with a
// ValidatingAdmissionPolicy, until the test ends or the returned binding is deleted. It
// returns once the policy is in force.
func refusePodCIDRs(t *testing.T, client kubernetes.Interface, node string) (binding string) {
	t.Helper()
	ctx := context.Background()
	policy := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "dualnet-test-refuse-" + node},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionv1.Fail),
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Update},
					Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"nodes"}},
				},
			}}},
			Validations: []admissionv1.Validation{{
				Expression: "object.metadata.name != '" + node + "' || !has(object.spec.podCIDRs)",
				Message:    "this test's node gets no pod CIDRs",
			}},
		},
	}
	vap := client.AdmissionregistrationV1().ValidatingAdmissionPolicies()
	if _, err := vap.Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = vap.Delete(ctx, policy.Name, metav1.DeleteOptions{}) })
	bindings := client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings()
	b := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: policy.Name},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        policy.Name,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
		},
	}
	if _, err := bindings.Create(ctx, b, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bindings.Delete(ctx, b.Name, metav1.DeleteOptions{}) })
	// The API server loads policies through a watch: in force once a dry run is refused.
	patch := []byte(`{"spec":{"podCIDR":"10.244.250.0/24","podCIDRs":["10.244.250.0/24"]}}`)
	poll.Eventually(t, 30*time.Second, "the admission policy in force", func() error {
		_, err := client.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, patch, metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}})
		return poll.Met(err != nil && strings.Contains(err.Error(), "gets no pod CIDRs"), "dry run: "+errString(err))
	})
	return b.Name
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func errString(err error) string {
	if err == nil {
		return "accepted"
	}
	return err.Error()
}
