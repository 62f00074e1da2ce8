package labnode

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dualnet/dualnet/internal/labnode/workload"
)

// Waiting reasons a user sees in `kubectl get pods` / `describe`.
const (
	reasonCreating     = "ContainerCreating"
	reasonNotBuiltIn   = "ImageNotBuiltIn"
	reasonCrashBackOff = "CrashLoopBackOff"
)

// report writes the pod's status when it differs from what the API has.
func (p *pods) report(ctx context.Context, pod *corev1.Pod, rt *podRuntime) error {
	p.mu.Lock()
	status := p.cfg.status(pod, rt)
	p.mu.Unlock()
	if equality.Semantic.DeepEqual(pod.Status, status) {
		return nil
	}
	updated := pod.DeepCopy()
	updated.Status = status
	if _, err := p.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update status of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// status is the pod's status from what runs: podIPs IPv4 first, conditions, containers.
func (c Config) status(pod *corev1.Pod, rt *podRuntime) corev1.PodStatus {
	s := corev1.PodStatus{
		Phase:     corev1.PodPending,
		StartTime: &metav1.Time{Time: rt.createdAt},
		QOSClass:  pod.Status.QOSClass,
	}
	for _, ip := range c.NodeIPs {
		s.HostIPs = append(s.HostIPs, corev1.HostIP{IP: ip.String()})
	}
	if len(s.HostIPs) > 0 {
		s.HostIP = s.HostIPs[0].IP
	}
	if rt.sandbox != nil {
		for _, ip := range rt.sandbox.ips {
			s.PodIPs = append(s.PodIPs, corev1.PodIP{IP: ip.String()})
		}
		s.PodIP = s.PodIPs[0].IP
	}
	running, allReady := 0, len(rt.containers) > 0
	for _, ctr := range rt.containers {
		cs := c.containerStatus(ctr, rt)
		if cs.State.Running != nil {
			running++
		}
		allReady = allReady && cs.Ready
		s.ContainerStatuses = append(s.ContainerStatuses, cs)
	}
	switch {
	case rt.sandbox == nil:
	case running > 0 || pod.Spec.RestartPolicy == corev1.RestartPolicyAlways || pod.Spec.RestartPolicy == "":
		if running > 0 || anyExited(rt) {
			s.Phase = corev1.PodRunning
		}
	case allExited(rt):
		s.Phase = corev1.PodSucceeded
		for _, ctr := range rt.containers {
			if ctr.exit.code != 0 {
				s.Phase = corev1.PodFailed
			}
		}
	}
	s.Conditions = conditions(pod, rt.sandbox != nil, allReady)
	return s
}

func (c Config) containerStatus(ctr *container, rt *podRuntime) corev1.ContainerStatus {
	cs := corev1.ContainerStatus{
		Name:         ctr.name,
		Image:        ctr.image,
		RestartCount: ctr.restarts,
	}
	if !ctr.unknown {
		cs.ImageID = "dualnet-lab://builtin/" + workload.Builtin(ctr.image)
	}
	switch {
	case ctr.unknown:
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: reasonNotBuiltIn,
			Message: fmt.Sprintf("image %q is not built into the dualnet lab, which runs only its built-in images (%s)", ctr.image, workload.Names)}
	case rt.sandbox == nil:
		msg := "setting up the pod's network"
		if rt.sandboxErr != nil {
			msg = rt.sandboxErr.Error()
		}
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: reasonCreating, Message: msg}
	case ctr.running():
		cs.ContainerID = fmt.Sprintf("dualnet-lab://%d", ctr.cmd.Process.Pid)
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(ctr.startedAt)}
		cs.Ready, cs.Started = true, ptrBool(true)
	case ctr.exit != nil:
		cs.ContainerID = fmt.Sprintf("dualnet-lab://%d", ctr.cmd.Process.Pid)
		cs.State.Terminated = terminated(ctr.exit)
		cs.Started = ptrBool(false)
	default:
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: reasonCreating}
	}
	if ctr.lastExit != nil {
		cs.LastTerminationState.Terminated = terminated(ctr.lastExit)
	}
	if cs.State.Terminated != nil && ctr.restarts > 0 {
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reasonCrashBackOff,
			Message: fmt.Sprintf("the workload exited with code %d; restarting", ctr.exit.code)}}
		cs.LastTerminationState.Terminated = terminated(ctr.exit)
	}
	return cs
}

func terminated(e *exitInfo) *corev1.ContainerStateTerminated {
	return &corev1.ContainerStateTerminated{ExitCode: e.code, Reason: e.reason,
		StartedAt: metav1.NewTime(e.started), FinishedAt: metav1.NewTime(e.finished)}
}

// conditions keeps PodScheduled (the scheduler's) and the transition times of conditions
// whose status did not change, so an unchanged pod compares equal and is not rewritten.
func conditions(pod *corev1.Pod, sandbox, ready bool) []corev1.PodCondition {
	want := []corev1.PodCondition{
		{Type: corev1.PodReadyToStartContainers, Status: boolStatus(sandbox)},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue},
		{Type: corev1.ContainersReady, Status: boolStatus(ready)},
		{Type: corev1.PodReady, Status: boolStatus(ready)},
	}
	var out []corev1.PodCondition
	for _, old := range pod.Status.Conditions {
		if old.Type == corev1.PodScheduled {
			out = append(out, old)
		}
	}
	for _, c := range want {
		c.LastTransitionTime = metav1.Now().Rfc3339Copy()
		for _, old := range pod.Status.Conditions {
			if old.Type == c.Type && old.Status == c.Status {
				c = old
			}
		}
		if c.Status != corev1.ConditionTrue && (c.Type == corev1.ContainersReady || c.Type == corev1.PodReady) {
			c.Reason = "ContainersNotReady"
		}
		out = append(out, c)
	}
	return out
}

func boolStatus(b bool) corev1.ConditionStatus {
	if b {
		return corev1.ConditionTrue
	}
	return corev1.ConditionFalse
}

func anyExited(rt *podRuntime) bool {
	for _, c := range rt.containers {
		if c.exit != nil {
			return true
		}
	}
	return false
}

func allExited(rt *podRuntime) bool {
	for _, c := range rt.containers {
		if c.exit == nil {
			return false
		}
	}
	return len(rt.containers) > 0
}

func ptrBool(b bool) *bool { return &b }
