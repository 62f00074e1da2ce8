package cni

import (
	"errors"
	"fmt"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/podipam"
)

// allocationError turns an exhausted range into its own CNI error code, so a runtime (and a
// person reading kubelet events) can tell "node full" from a broken node.
func allocationError(err error) error {
	if errors.Is(err, podipam.ErrExhausted) {
		return types.NewError(config.ErrRangeExhausted, err.Error(), "")
	}
	return fmt.Errorf("allocate pod addresses: %w", err)
}

func notReady(format string, args ...any) error {
	return types.NewError(types.ErrPluginNotAvailable, fmt.Sprintf(format, args...), "")
}
