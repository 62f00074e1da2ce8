package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
	"github.com/dualnet/dualnet/internal/dataplane/hostroutes"
	"github.com/dualnet/dualnet/internal/dataplane/masquerade"
)

// Cleanup removes everything the agent creates on the node: the nftables table, the dualnet
// routes, the CNI config and plugin, and the bridge. Sysctls stay: other software on the node
// may rely on forwarding. Each part is attempted; the errors are joined.
func Cleanup(ctx context.Context, cfg Config) error {
	var errs []error
	if masq, err := masquerade.NewIn(cfg.Namespace); err != nil {
		errs = append(errs, err)
	} else if err := masq.Cleanup(ctx); err != nil {
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
	if link, err := nl.LinkByName(cfg.Bridge); err == nil {
		if err := nl.LinkDel(link); err != nil {
			errs = append(errs, fmt.Errorf("delete bridge %s: %w", cfg.Bridge, err))
		}
	} else if !errors.As(err, new(netlink.LinkNotFoundError)) {
		errs = append(errs, fmt.Errorf("find bridge %s: %w", cfg.Bridge, err))
	}
	return errors.Join(errs...)
}
