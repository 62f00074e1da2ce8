package labnode

import (
	"context"
	"errors"
	"fmt"

	"github.com/containernetworking/cni/libcni"
	cnitypes "github.com/containernetworking/cni/pkg/types"
	corev1 "k8s.io/api/core/v1"

	"github.com/dualnet/dualnet/internal/lab"
)

// collectGarbage runs once the node knows its pods, as containerd does after a restart: every
// sandbox in the CNI cache whose pod is gone (deleted while this node was down) gets CNI DEL
// and loses its namespace, then CNI GC tells the plugin which attachments are still valid so
// that it can release anything else it holds.
func (c Config) collectGarbage(ctx context.Context, pods []*corev1.Pod) error {
	if _, err := c.network(); err != nil {
		return nil // no network config yet: nothing can have been attached
	}
	valid := map[string]bool{}
	var attachments []cnitypes.GCAttachment
	for _, pod := range pods {
		if pod.Spec.HostNetwork {
			continue
		}
		valid[string(pod.UID)] = true
		attachments = append(attachments, cnitypes.GCAttachment{ContainerID: string(pod.UID), IfName: ifName})
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	return c.cni(func(cninet *libcni.CNIConfig, list *libcni.NetworkConfigList) error {
		cached, err := cninet.GetCachedAttachments("")
		if err != nil {
			return fmt.Errorf("read the CNI cache: %w", err)
		}
		var errs []error
		for _, a := range cached {
			if valid[a.ContainerID] || a.Network != list.Name {
				continue
			}
			// With the port mappings of its ADD, so that portmap removes its hostPort rules.
			rt := &libcni.RuntimeConf{ContainerID: a.ContainerID, NetNS: a.NetNS, IfName: a.IfName, Args: a.CniArgs, CapabilityArgs: a.CapabilityArgs}
			if err := cninet.DelNetworkList(ctx, list, rt); err != nil {
				errs = append(errs, fmt.Errorf("CNI DEL of stale sandbox %s: %w", a.ContainerID, err))
			}
			errs = append(errs, lab.DeleteNetns(c.PodNetnsPrefix+a.ContainerID))
		}
		if err := cninet.GCNetworkList(ctx, list, &libcni.GCArgs{ValidAttachments: attachments}); err != nil {
			errs = append(errs, fmt.Errorf("CNI GC: %w", err))
		}
		return errors.Join(errs...)
	})
}
