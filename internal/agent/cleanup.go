package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/bridge"
	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
	"github.com/dualnet/dualnet/internal/dataplane/hostroutes"
	"github.com/dualnet/dualnet/internal/dataplane/lbprobe"
	"github.com/dualnet/dualnet/internal/dataplane/masquerade"
)

// Cleanup removes everything the agent creates on the node: the nftables tables, the dualnet
// routes, the CNI config and plugin, and the bridge if dualnet created it (bridge.Owned): a
// bridge of that name that other software made may carry the node's own address, so it is
// left and the log says why. With the plugin and the bridge gone, the plugin's anti-spoofing
// table (bridge dualnet-antispoof) goes too: nothing would ever write or sweep it again.
// Sysctls stay: other software on the node may rely on forwarding. Each part is attempted;
// the errors are joined.
func Cleanup(ctx context.Context, cfg Config) error {
	var errs []error
	if masq, err := masquerade.NewIn(cfg.Namespace); err != nil {
		errs = append(errs, err)
	} else if err := masq.Cleanup(ctx); err != nil {
		errs = append(errs, err)
	}
	if _, err := lbprobe.Sync(ctx, cfg.Namespace, "", false); err != nil {
		errs = append(errs, err)
	}
	nl, err := cfg.Namespace.Netlink()
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	defer nl.Close()
	if err := hostroutes.Cleanup(nl); err != nil {
		errs = append(errs, err)
	}
	if err := cniconfig.RemoveConfig(cfg.CNIConfDir, cfg.CNIBinDir); err != nil {
		errs = append(errs, err)
	}
	if err := removeOwnedBridge(ctx, nl, cfg.Bridge); err != nil {
		errs = append(errs, err)
	}
	if err := cfg.Namespace.Do(func() error { return antispoof.DeleteTable(ctx) }); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// removeOwnedBridge deletes the bridge name only when dualnet created it.
func removeOwnedBridge(ctx context.Context, nl *netlink.Handle, name string) error {
	link, err := nl.LinkByName(name)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find bridge %s: %w", name, err)
	}
	if !bridge.Owned(link) {
		klog.FromContext(ctx).Info("Leaving the bridge in place: dualnet did not create it (no alias \"dualnet\"), so it may belong to other software or carry the node's own address",
			"bridge", name, "type", link.Type(), "alias", link.Attrs().Alias)
		return nil
	}
	if err := nl.LinkDel(link); err != nil {
		return fmt.Errorf("delete bridge %s: %w", name, err)
	}
	return nil
}
