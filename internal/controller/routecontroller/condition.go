package routecontroller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dualnet/dualnet/internal/routes"
)

// The reasons Kubernetes' own route controller uses, so dashboards and runbooks keep working.
const (
	ReasonRouteCreated   = "RouteCreated"
	ReasonNoRouteCreated = "NoRouteCreated"
)

// conditionWriters bounds the parallel status patches after a large sync.
const conditionWriters = 8

type conditionUpdate struct {
	node string
	cond corev1.NodeCondition
}

// condition is the NetworkUnavailable condition a node should carry; writeErr is why the
// backend refused the node's routes, if it did.
func condition(nr routes.NodeRoutes, routed, full bool, writeErr error, maxRoutesSetting string) corev1.NodeCondition {
	now := metav1.Now()
	c := corev1.NodeCondition{Type: corev1.NodeNetworkUnavailable, LastTransitionTime: now, LastHeartbeatTime: now}
	switch {
	case routed:
		c.Status, c.Reason, c.Message = corev1.ConditionFalse, ReasonRouteCreated, "dualnet created a route for each pod CIDR of the node"
	case full:
		c.Status, c.Reason, c.Message = corev1.ConditionTrue, ReasonNoRouteCreated, "the route table is full: raise "+maxRoutesSetting+" if the table allows more routes, or remove nodes"
	case !nr.Complete:
		c.Status, c.Reason, c.Message = corev1.ConditionTrue, ReasonNoRouteCreated, "dualnet cannot route the node: "+strings.Join(nr.Problems, "; ")
	case writeErr != nil:
		c.Status, c.Reason, c.Message = corev1.ConditionTrue, ReasonNoRouteCreated, "dualnet could not write the node's routes: "+strings.ReplaceAll(writeErr.Error(), "\n", "; ")
	default:
		c.Status, c.Reason, c.Message = corev1.ConditionTrue, ReasonNoRouteCreated, "dualnet has not created the node's routes yet"
	}
	return c
}

// changeTo returns the condition to write on n, false when n already carries want. A
// transition time only moves when the status does.
func changeTo(n *corev1.Node, want corev1.NodeCondition) (corev1.NodeCondition, bool) {
	if n == nil {
		return want, false
	}
	for _, c := range n.Status.Conditions {
		if c.Type != want.Type {
			continue
		}
		if c.Status == want.Status && c.Reason == want.Reason && c.Message == want.Message {
			return want, false
		}
		if c.Status == want.Status {
			want.LastTransitionTime = c.LastTransitionTime
		}
	}
	return want, true
}

// setConditions patches the nodes' status; conditions merge by type, so kubelet's own
// conditions are left alone.
func (c *Controller) setConditions(ctx context.Context, updates []conditionUpdate) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(conditionWriters)
	errs := make([]error, len(updates))
	for i, u := range updates {
		g.Go(func() error {
			patch, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": []corev1.NodeCondition{u.cond}}})
			if err == nil {
				_, err = c.client.CoreV1().Nodes().PatchStatus(ctx, u.node, patch)
			}
			if err != nil && !apierrors.IsNotFound(err) {
				errs[i] = fmt.Errorf("set %s=%s on node %q: %w", u.cond.Type, u.cond.Status, u.node, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	return errors.Join(errs...)
}
