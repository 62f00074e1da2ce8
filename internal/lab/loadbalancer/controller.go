package loadbalancer

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/knftables"
)

// Config is where the load balancer lives and what it hands out.
type Config struct {
	// Netns is the path of the vnet router's namespace, where frontends are forwarded.
	Netns string
	// Pools are the frontend ranges, one per family.
	Pools []netip.Prefix
}

// Run keeps LoadBalancer Services' frontends and forwarding until ctx ends: any change of a
// Service or EndpointSlice triggers one sync of everything.
func Run(ctx context.Context, client kubernetes.Interface, cfg Config) error {
	factory := informers.NewSharedInformerFactory(client, 0)
	services := factory.Core().V1().Services()
	slices := factory.Discovery().V1().EndpointSlices()
	poke := make(chan struct{}, 1)
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { signal(poke) },
		UpdateFunc: func(any, any) { signal(poke) },
		DeleteFunc: func(any) { signal(poke) },
	}
	if _, err := services.Informer().AddEventHandler(handler); err != nil {
		return err
	}
	if _, err := slices.Informer().AddEventHandler(handler); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), services.Informer().HasSynced, slices.Informer().HasSynced) {
		return fmt.Errorf("load balancer: informers did not sync")
	}
	signal(poke)
	retry := time.NewTicker(5 * time.Second)
	defer retry.Stop()
	failed := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-poke:
		case <-retry.C:
			if !failed {
				continue
			}
		}
		svcs, _ := services.Lister().List(labels.Everything())
		eps, _ := slices.Lister().List(labels.Everything())
		err := sync(ctx, client, cfg, svcs, eps)
		failed = err != nil
		if err != nil {
			klog.ErrorS(err, "load balancer sync")
		}
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func sync(ctx context.Context, client kubernetes.Interface, cfg Config, all []*corev1.Service, eps []*discoveryv1.EndpointSlice) error {
	var lbs []*corev1.Service
	for _, s := range all {
		if s.Spec.Type == corev1.ServiceTypeLoadBalancer {
			lbs = append(lbs, s)
		}
	}
	front := frontends(lbs, cfg.Pools)
	err := ns.WithNetNSPath(cfg.Netns, func(ns.NetNS) error {
		nft, err := knftables.New(knftables.InetFamily, Table)
		if err != nil {
			return err
		}
		tx := nft.NewTransaction()
		transaction(tx, forwards(lbs, front, eps))
		return nft.Run(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("forward frontends in %s: %w", cfg.Netns, err)
	}
	for _, svc := range lbs {
		fe, ok := front[key(svc)]
		if !ok {
			continue
		}
		want := []corev1.LoadBalancerIngress{{IP: fe.String(), IPMode: ptr.To(corev1.LoadBalancerIPModeVIP)}}
		if len(svc.Status.LoadBalancer.Ingress) == 1 && svc.Status.LoadBalancer.Ingress[0].IP == want[0].IP {
			continue
		}
		updated := svc.DeepCopy()
		updated.Status.LoadBalancer.Ingress = want
		if _, err := client.CoreV1().Services(svc.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("give service %s frontend %s: %w", key(svc), fe, err)
		}
		klog.InfoS("LoadBalancer frontend", "service", key(svc), "ip", fe)
	}
	return nil
}
