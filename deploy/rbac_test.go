package deploy

import (
	"context"
	"fmt"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// serviceAccount is the user name and groups a pod's service account token authenticates as.
func serviceAccount(name string) (string, []string) {
	return "system:serviceaccount:kube-system:" + name,
		[]string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}
}

// access is one request a service account makes, or must not be able to make.
type access struct {
	verb, group, resource, subresource, namespace string
}

func (a access) String() string {
	r := a.resource
	if a.group != "" {
		r += "." + a.group
	}
	if a.subresource != "" {
		r += "/" + a.subresource
	}
	if a.namespace != "" {
		r += " in " + a.namespace
	}
	return a.verb + " " + r
}

// allowed asks the API server's authorizer (RBAC) whether the service account may do a.
func allowed(ctx context.Context, sa string, a access) (bool, error) {
	user, groups := serviceAccount(sa)
	review, err := kubetest.Client().AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: groups,
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: a.verb, Group: a.group, Resource: a.resource, Subresource: a.subresource, Namespace: a.namespace,
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("SubjectAccessReview %s for %s: %w", a, sa, err)
	}
	return review.Status.Allowed, nil
}

// What the code calls (see the ClusterRoles' comments in dualnet.yaml). Node events go to
// the "default" namespace: client-go's recorder puts a cluster-scoped object's events there.
var (
	controllerNeeds = []access{
		{verb: "get", resource: "nodes"},
		{verb: "list", resource: "nodes"},
		{verb: "watch", resource: "nodes"},
		{verb: "patch", resource: "nodes"},
		{verb: "patch", resource: "nodes", subresource: "status"},
		{verb: "create", resource: "events", namespace: "default"},
		{verb: "patch", resource: "events", namespace: "default"},
		{verb: "get", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system"},
		{verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system"},
		{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system"},
	}
	agentNeeds = []access{
		{verb: "get", resource: "nodes"},
		{verb: "list", resource: "nodes"},
		{verb: "watch", resource: "nodes"},
		{verb: "create", resource: "events", namespace: "default"},
		{verb: "patch", resource: "events", namespace: "default"},
	}
	// Neither needs any of these; a role that grants one is too wide.
	nobodyNeeds = []access{
		{verb: "delete", resource: "nodes"},
		{verb: "create", resource: "nodes"},
		{verb: "update", resource: "nodes"},
		{verb: "update", resource: "nodes", subresource: "status"},
		{verb: "get", resource: "secrets", namespace: "kube-system"},
		{verb: "list", resource: "secrets"},
		{verb: "create", resource: "pods", namespace: "default"},
		{verb: "delete", resource: "pods", namespace: "kube-system"},
		{verb: "create", resource: "pods", subresource: "exec", namespace: "kube-system"},
		{verb: "get", resource: "configmaps", namespace: "kube-system"},
		{verb: "delete", resource: "events", namespace: "default"},
		{verb: "create", resource: "events", group: "events.k8s.io", namespace: "default"},
		{verb: "delete", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system"},
		{verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: "default"},
		{verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings"},
		{verb: "impersonate", resource: "serviceaccounts"},
	}
	agentMustNot = []access{
		{verb: "patch", resource: "nodes"},
		{verb: "patch", resource: "nodes", subresource: "status"},
		{verb: "get", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system"},
		{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system"},
	}
	// needsOf is what each service account's code calls.
	needsOf = map[string][]access{"dualnet-controller": controllerNeeds, "dualnet-agent": agentNeeds}
)

func TestServiceAccountsMayDoExactlyWhatTheCodeCalls(t *testing.T) {
	applyManifest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The authorizer learns of new bindings through its informers: wait until every needed
	// access is granted, then check that nothing else is.
	for sa, needs := range needsOf {
		for _, a := range needs {
			if err := waitForAccess(ctx, sa, a, true); err != nil {
				t.Errorf("%s may not %s; the code needs it: %v", sa, a, err)
			}
		}
	}
	denied := map[string][]access{"dualnet-controller": nobodyNeeds, "dualnet-agent": append(append([]access{}, nobodyNeeds...), agentMustNot...)}
	for sa, forbidden := range denied {
		for _, a := range forbidden {
			ok, err := allowed(ctx, sa, a)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				t.Errorf("%s may %s; nothing in the code needs it", sa, a)
			}
		}
	}
}

// Before the manifest is applied the service accounts may do none of it: the grants above
// come from dualnet.yaml, not from the API server's defaults.
func TestServiceAccountsMayDoNothingWithoutTheManifest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for sa, needs := range needsOf {
		for _, a := range needs {
			// Another test's bindings may still be in the authorizer's cache for a moment.
			if err := waitForAccess(ctx, sa, a, false); err != nil {
				t.Errorf("%s may %s with no dualnet RBAC applied: %v", sa, a, err)
			}
		}
	}
}

// waitForAccess polls the authorizer until it answers want for sa doing a, for up to 30s.
func waitForAccess(ctx context.Context, sa string, a access, want bool) error {
	return poll.Until(30*time.Second, 100*time.Millisecond, func() error {
		got, err := allowed(ctx, sa, a)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("the authorizer still answers allowed=%v after 30s", got)
		}
		return nil
	})
}
