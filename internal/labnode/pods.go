package labnode

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/dualnet/dualnet/internal/lab"
)

// podRuntime is what the node runs for one pod.
type podRuntime struct {
	uid        types.UID
	pod        *corev1.Pod // the last version synced, for teardown after the pod is gone
	sandbox    *sandbox
	sandboxErr error
	createdAt  time.Time
	containers []*container
}

// pods runs the pods bound to this node: informer -> workqueue -> sync of one pod, which
// brings its sandbox, containers and status to what the pod's spec asks.
type pods struct {
	cfg    Config
	client kubernetes.Interface
	queue  workqueue.TypedRateLimitingInterface[string]
	store  cache.Store

	mu      sync.Mutex
	running map[string]*podRuntime // by namespace/name
}

func runPods(ctx context.Context, cfg Config, client kubernetes.Interface) error {
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", cfg.NodeName).String()
		}))
	informer := factory.Core().V1().Pods().Informer()
	p := &pods{
		cfg: cfg, client: client, store: informer.GetStore(),
		queue:   workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		running: map[string]*podRuntime{},
	}
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			p.queue.Add(key)
		}
	}
	_, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	})
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		return fmt.Errorf("pods of node %s: informer did not sync", cfg.NodeName)
	}
	var current []*corev1.Pod
	for _, obj := range p.store.List() {
		current = append(current, obj.(*corev1.Pod))
	}
	if err := cfg.collectGarbage(ctx, current); err != nil {
		klog.ErrorS(err, "collect stale pod sandboxes", "node", cfg.NodeName)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for p.next(ctx) {
			}
		})
	}
	<-ctx.Done()
	p.queue.ShutDown()
	wg.Wait()
	p.stopAll()
	return nil
}

func (p *pods) next(ctx context.Context) bool {
	key, quit := p.queue.Get()
	if quit {
		return false
	}
	defer p.queue.Done(key)
	requeue, err := p.sync(ctx, key)
	switch {
	case err != nil:
		klog.ErrorS(err, "sync pod", "pod", key)
		p.queue.AddRateLimited(key)
	case requeue > 0:
		p.queue.Forget(key)
		p.queue.AddAfter(key, requeue)
	default:
		p.queue.Forget(key)
	}
	return true
}

// sync makes one pod's runtime match its object; it returns when to look again, if needed.
func (p *pods) sync(ctx context.Context, key string) (time.Duration, error) {
	obj, exists, err := p.store.GetByKey(key)
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	rt := p.running[key]
	p.mu.Unlock()
	if !exists {
		return 0, p.remove(ctx, key, rt)
	}
	pod := obj.(*corev1.Pod)
	if rt != nil && rt.uid != pod.UID { // a new pod with the same name
		if err := p.remove(ctx, key, rt); err != nil {
			return 0, err
		}
		rt = nil
	}
	if pod.DeletionTimestamp != nil {
		if err := p.remove(ctx, key, rt); err != nil {
			return 0, err
		}
		// As the kubelet does once the containers are gone: the final delete.
		err := p.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
			GracePeriodSeconds: ptr.To[int64](0),
			Preconditions:      &metav1.Preconditions{UID: &pod.UID},
		})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return 0, fmt.Errorf("delete pod %s: %w", key, err)
		}
		return 0, nil
	}
	if rt == nil {
		rt = &podRuntime{uid: pod.UID, createdAt: time.Now().Truncate(time.Second)}
		for _, c := range pod.Spec.Containers {
			rt.containers = append(rt.containers, newContainer(c))
		}
		p.mu.Lock()
		p.running[key] = rt
		p.mu.Unlock()
	}
	rt.pod = pod
	requeue := p.ensure(ctx, key, pod, rt)
	return requeue, p.report(ctx, pod, rt)
}

// ensure sets up the sandbox and starts (or restarts) containers; it returns a requeue delay
// when something has to be retried later.
func (p *pods) ensure(ctx context.Context, key string, pod *corev1.Pod, rt *podRuntime) time.Duration {
	if rt.sandbox == nil {
		// A sandbox left by an earlier run of this node (a restart) is torn down first.
		if _, err := os.Stat(lab.NetnsPath(p.cfg.podNetns(pod))); err == nil && !pod.Spec.HostNetwork {
			_ = p.cfg.tearDown(ctx, pod)
		}
		sb, err := p.cfg.setUp(ctx, pod)
		if err != nil {
			rt.sandboxErr = err
			return 2 * time.Second
		}
		rt.sandbox, rt.sandboxErr = sb, nil
		klog.InfoS("pod sandbox ready", "pod", key, "ips", sb.ips)
	}
	var requeue time.Duration
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, c := range rt.containers {
		if c.unknown || c.running() {
			continue
		}
		if c.exit != nil && !shouldRestart(pod.Spec.RestartPolicy, c.exit.code) {
			continue
		}
		if c.exit != nil {
			wait := backoff(c.restarts) - time.Since(c.exit.finished)
			if wait > 0 {
				if requeue == 0 || wait < requeue {
					requeue = wait
				}
				continue
			}
		}
		err := c.start(p.cfg, pod, rt.sandbox.netnsPath, pod.Spec.Containers[i], &p.mu, func() { p.queue.Add(key) })
		if err != nil {
			klog.ErrorS(err, "start container", "pod", key, "container", c.name)
			requeue = 2 * time.Second
		}
	}
	return requeue
}

func shouldRestart(policy corev1.RestartPolicy, code int32) bool {
	return policy == corev1.RestartPolicyAlways || policy == "" || (policy == corev1.RestartPolicyOnFailure && code != 0)
}

// backoff is the pause before restart n+1: 1s, 2s, 4s, ... up to 30s (the kubelet's is 10s
// to 5m; a lab wants to see a fixed workload come back quickly).
func backoff(restarts int32) time.Duration {
	d := time.Second << min(restarts, 5)
	return min(d, 30*time.Second)
}

// remove stops the pod's containers, runs CNI DEL and deletes its namespace.
func (p *pods) remove(ctx context.Context, key string, rt *podRuntime) error {
	if rt == nil {
		return nil
	}
	for _, c := range rt.containers {
		c.stop(5 * time.Second)
	}
	if rt.pod != nil {
		if err := p.cfg.tearDown(ctx, rt.pod); err != nil {
			return fmt.Errorf("tear down pod %s: %w", key, err)
		}
	}
	klog.InfoS("pod torn down (CNI DEL, namespace deleted)", "pod", key)
	p.mu.Lock()
	delete(p.running, key)
	p.mu.Unlock()
	return nil
}

// stopAll ends every workload when the node stops; sandboxes stay for the next run (which
// tears them down and sets them up again) or for `lab down`.
func (p *pods) stopAll() {
	p.mu.Lock()
	var all []*container
	for _, rt := range p.running {
		all = append(all, rt.containers...)
	}
	p.mu.Unlock()
	for _, c := range all {
		c.stop(2 * time.Second)
	}
}
