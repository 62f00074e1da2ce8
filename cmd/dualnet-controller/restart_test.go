package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/dualnet/dualnet/internal/controller/nodeipam/nodeipamtest"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// cidrWatch remembers the first pod CIDRs every node was seen with and records any change.
type cidrWatch struct {
	mu      sync.Mutex
	first   map[string][]string // by node UID: names are never reused in these tests anyway
	changes []string
}

func watchCIDRs(t *testing.T, client kubernetes.Interface) *cidrWatch {
	w := &cidrWatch{first: map[string][]string{}}
	factory := informers.NewSharedInformerFactory(client, 0)
	record := func(obj any) {
		node, ok := obj.(*corev1.Node)
		if !ok || len(node.Spec.PodCIDRs) == 0 {
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		uid := string(node.UID)
		if first, seen := w.first[uid]; !seen {
			w.first[uid] = node.Spec.PodCIDRs
		} else if !slices.Equal(first, node.Spec.PodCIDRs) {
			w.changes = append(w.changes, fmt.Sprintf("node %s: %v -> %v", node.Name, first, node.Spec.PodCIDRs))
		}
	}
	_, err := factory.Core().V1().Nodes().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    record,
		UpdateFunc: func(_, obj any) { record(obj) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	t.Cleanup(func() {
		cancel()
		factory.Shutdown()
	})
	return w
}

func (w *cidrWatch) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.changes) > 0 {
		t.Fatalf("pod CIDRs changed: %v", w.changes)
	}
}

// churn creates nodes and deletes random older ones until stopped, keeping at most max alive.
type churn struct {
	client  kubernetes.Interface
	names   []string // every node ever created, in order
	deleted map[string]bool
	mu      sync.Mutex
	stop    chan struct{}
	done    chan error
}

func startChurn(t *testing.T, client kubernetes.Interface, prefix string, max int) *churn {
	c := &churn{client: client, deleted: map[string]bool{}, stop: make(chan struct{}), done: make(chan error, 1)}
	rng := rand.New(rand.NewPCG(7, 11))
	ticker := time.NewTicker(15 * time.Millisecond) // the pace of node arrivals, not a wait for state
	go func() {
		defer ticker.Stop()
		for i := 0; ; i++ {
			select {
			case <-c.stop:
				c.done <- nil
				return
			case <-ticker.C:
			}
			name := fmt.Sprintf("%s-%04d", prefix, i)
			if _, err := kubetest.CreateNode(context.Background(), client, kubetest.Node(name, nil)); err != nil {
				c.done <- err
				return
			}
			c.mu.Lock()
			c.names = append(c.names, name)
			alive := c.alive()
			var victim string
			if i%3 == 2 || len(alive) > max {
				victim = alive[rng.IntN(len(alive))]
				c.deleted[victim] = true
			}
			c.mu.Unlock()
			if victim != "" {
				if err := client.CoreV1().Nodes().Delete(context.Background(), victim, metav1.DeleteOptions{}); err != nil {
					c.done <- err
					return
				}
			}
		}
	}()
	t.Cleanup(func() {
		c.halt(t)
		kubetest.DeleteNodes(t, client, c.all())
	})
	return c
}

// alive lists the nodes not deleted; call with c.mu held.
func (c *churn) alive() []string {
	var out []string
	for _, n := range c.names {
		if !c.deleted[n] {
			out = append(out, n)
		}
	}
	return out
}

func (c *churn) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.names)
}

func (c *churn) created() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.names)
}

func (c *churn) halt(t *testing.T) {
	select {
	case <-c.stop:
		return
	default:
	}
	close(c.stop)
	if err := <-c.done; err != nil {
		t.Errorf("churn: %v", err)
	}
}

func TestControllerKilledAndRestartedDuringChurnNeverChangesOrDuplicatesCIDRs(t *testing.T) {
	client := kubetest.FastClient(t)
	watch := watchCIDRs(t, client)
	args := append([]string{"--leader-elect-resource-name", "dualnet-controller-restart-test"}, fastLease...)
	churn := startChurn(t, client, "restart", 150)

	for round := range 3 {
		p := startProcess(t, args...)
		// Let this run assign some nodes created after it started, then kill it mid-work.
		from := churn.created()
		poll.Eventually(t, 60*time.Second, fmt.Sprintf("round %d: the controller assigns new nodes", round), func() error {
			got := nodeipamtest.PodCIDRs(t, client)
			names := churn.all()
			return poll.Met(nodeipamtest.Count(names[from:], got) >= 5, fmt.Sprintf("%d of %d new nodes assigned", nodeipamtest.Count(names[from:], got), len(names)-from))
		})
		p.stop(syscall.SIGKILL)
		watch.check(t)
	}
	startProcess(t, args...)
	from := churn.created()
	poll.Eventually(t, 60*time.Second, "the last controller assigns new nodes", func() error {
		names := churn.all()
		return poll.Met(nodeipamtest.Count(names[from:], nodeipamtest.PodCIDRs(t, client)) >= 5, "")
	})
	churn.halt(t)

	poll.Eventually(t, 60*time.Second, "every live node has pod CIDRs", func() error {
		list, err := client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return poll.Met(false, err.Error())
		}
		missing := 0
		for _, n := range list.Items {
			if len(n.Spec.PodCIDRs) == 0 {
				missing++
			}
		}
		return poll.Met(missing == 0, fmt.Sprintf("%d of %d nodes without pod CIDRs", missing, len(list.Items)))
	})
	nodeipamtest.PodCIDRs(t, client) // fails on any CIDR held by two nodes
	watch.check(t)
	watch.mu.Lock()
	t.Logf("%d nodes created, %d got pod CIDRs while 4 controller processes came and went", churn.created(), len(watch.first))
	watch.mu.Unlock()
}
