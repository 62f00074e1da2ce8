package main

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

const (
	benchNamespace = metav1.NamespaceDefault
	benchName      = "podstart-bench"
	pauseImage     = "registry.k8s.io/pause:3.10.2" // the lab's registry serves it
)

// plugin is one of the two CNI networks measured: how to make it the node's, and how to
// tell its addresses.
type plugin struct {
	name string
	use  func() error
	owns func(netip.Addr) bool
}

// round is one scale up and down with one plugin.
type round struct {
	up, down        time.Duration   // 0 -> N all Ready; N -> 0 all gone
	perPod          []time.Duration // Pod object seen -> Ready
	setUp, tearDown time.Duration   // containerd's mean network set-up / tear-down per pod
	cpuUp, cpuDown  cpuUse          // CPU per pod spent during each way
}

type deployment struct {
	client kubernetes.Interface
	node   string
}

func newDeployment(client kubernetes.Interface, node string) *deployment {
	return &deployment{client: client, node: node}
}

// create makes the Deployment with no replicas: pause containers (no probes, no volumes),
// all on the measured node, so that the time is the kubelet's, the runtime's and the CNI's.
func (d *deployment) create(ctx context.Context) error {
	labels := map[string]string{"app": benchName}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: benchName, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](0),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					NodeSelector:                  map[string]string{corev1.LabelHostname: d.node},
					TerminationGracePeriodSeconds: ptr.To[int64](1),
					AutomountServiceAccountToken:  ptr.To(false),
					EnableServiceLinks:            ptr.To(false),
					Containers: []corev1.Container{{
						Name: "pause", Image: pauseImage, ImagePullPolicy: corev1.PullIfNotPresent,
					}},
				},
			},
		},
	}
	_, err := d.client.AppsV1().Deployments(benchNamespace).Create(ctx, dep, metav1.CreateOptions{})
	return err
}

// remove deletes the Deployment and waits for its pods to go, so that the node is left as
// it was found.
func (d *deployment) remove() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_ = d.client.AppsV1().Deployments(benchNamespace).Delete(ctx, benchName, metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationForeground)})
	for ctx.Err() == nil {
		pods, err := d.client.CoreV1().Pods(benchNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app=" + benchName})
		if err == nil && len(pods.Items) == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// scale sets the replicas through the scale subresource, as `kubectl scale` does.
func (d *deployment) scale(ctx context.Context, n int32) error {
	_, err := d.client.AppsV1().Deployments(benchNamespace).UpdateScale(ctx, benchName,
		&autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: benchName, Namespace: benchNamespace}, Spec: autoscalingv1.ScaleSpec{Replicas: n}},
		metav1.UpdateOptions{})
	return err
}

// measureRound makes p the node's network, scales 0 -> pods -> 0 and times each way.
func measureRound(ctx context.Context, n *labNode, d *deployment, p plugin, pods int) (round, error) {
	var r round
	if err := p.use(); err != nil {
		return r, err
	}
	// containerd reloads /etc/cni/net.d on a change (fsnotify); give it the moment.
	time.Sleep(2 * time.Second)
	before, err := scrapeNetworkOps(n.name)
	if err != nil {
		return r, err
	}

	w, err := newPodWatch(ctx, d.client)
	if err != nil {
		return r, err
	}
	cpu0, err := n.containerd.sample()
	if err != nil {
		return r, err
	}
	start := time.Now()
	if err := d.scale(ctx, int32(pods)); err != nil {
		return r, err
	}
	ready, err := w.until(ctx, 3*time.Minute, func(s podSet) bool { return s.ready() == pods })
	if err != nil {
		return r, fmt.Errorf("scale to %d: %w", pods, err)
	}
	r.up = time.Since(start)
	cpu1, err := n.containerd.sample()
	if err != nil {
		return r, err
	}
	r.cpuUp = cpu1.since(cpu0).perPod(pods)
	for _, ps := range ready {
		r.perPod = append(r.perPod, ps.readyAt.Sub(ps.seenAt))
		for _, ip := range ps.ips {
			if !p.owns(ip) {
				return r, fmt.Errorf("pod %s got %s, not an address %s gives: the node's CNI network was not switched", ps.name, ip, p.name)
			}
		}
	}
	mid, err := scrapeNetworkOps(n.name)
	if err != nil {
		return r, err
	}

	cpu2, err := n.containerd.sample()
	if err != nil {
		return r, err
	}
	start = time.Now()
	if err := d.scale(ctx, 0); err != nil {
		return r, err
	}
	if _, err := w.until(ctx, 3*time.Minute, func(s podSet) bool { return len(s) == 0 }); err != nil {
		return r, fmt.Errorf("scale to 0: %w", err)
	}
	r.down = time.Since(start)
	w.stop()
	after, err := scrapeNetworkOps(n.name)
	if err != nil {
		return r, err
	}
	if err := n.removeSandboxes(ctx); err != nil {
		return r, err
	}
	cpu3, err := n.containerd.sample()
	if err != nil {
		return r, err
	}
	r.cpuDown = cpu3.since(cpu2).perPod(pods)
	r.setUp = mid.setUp.since(before.setUp)
	r.tearDown = after.tearDown.since(mid.tearDown)
	return r, nil
}

// podState is what the watch saw of one pod.
type podState struct {
	name            string
	seenAt, readyAt time.Time
	ips             []netip.Addr
}

type podSet map[string]*podState

func (s podSet) ready() int {
	n := 0
	for _, p := range s {
		if !p.readyAt.IsZero() {
			n++
		}
	}
	return n
}

// podWatch follows the benchmark's pods, stamping when each appears and becomes Ready.
type podWatch struct {
	client kubernetes.Interface
	w      watch.Interface
	rv     string
	pods   podSet
}

func newPodWatch(ctx context.Context, client kubernetes.Interface) (*podWatch, error) {
	list, err := client.CoreV1().Pods(benchNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app=" + benchName})
	if err != nil {
		return nil, err
	}
	if len(list.Items) != 0 {
		return nil, fmt.Errorf("%d pods of %s are left from before", len(list.Items), benchName)
	}
	w := &podWatch{client: client, rv: list.ResourceVersion, pods: podSet{}}
	return w, w.rewatch(ctx)
}

func (w *podWatch) rewatch(ctx context.Context) error {
	var err error
	w.w, err = w.client.CoreV1().Pods(benchNamespace).Watch(ctx, metav1.ListOptions{LabelSelector: "app=" + benchName, ResourceVersion: w.rv})
	return err
}

func (w *podWatch) stop() { w.w.Stop() }

// until applies events until done holds for the pods seen, and returns them.
func (w *podWatch) until(ctx context.Context, within time.Duration, done func(podSet) bool) (podSet, error) {
	deadline := time.After(within)
	for !done(w.pods) {
		select {
		case ev, ok := <-w.w.ResultChan():
			if !ok {
				if err := w.rewatch(ctx); err != nil {
					return nil, err
				}
				continue
			}
			w.apply(ev, time.Now())
		case <-deadline:
			return nil, fmt.Errorf("not done after %s: %d pods, %d Ready", within, len(w.pods), w.pods.ready())
		}
	}
	out := podSet{}
	for k, v := range w.pods {
		out[k] = v
	}
	return out, nil
}

func (w *podWatch) apply(ev watch.Event, now time.Time) {
	pod, ok := ev.Object.(*corev1.Pod)
	if !ok {
		return
	}
	w.rv = pod.ResourceVersion
	if ev.Type == watch.Deleted {
		delete(w.pods, pod.Name)
		return
	}
	ps := w.pods[pod.Name]
	if ps == nil {
		ps = &podState{name: pod.Name, seenAt: now}
		w.pods[pod.Name] = ps
	}
	if ps.readyAt.IsZero() && isReady(pod) {
		ps.readyAt = now
		for _, ip := range pod.Status.PodIPs {
			if a, err := netip.ParseAddr(ip.IP); err == nil {
				ps.ips = append(ps.ips, a)
			}
		}
	}
}

func isReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
