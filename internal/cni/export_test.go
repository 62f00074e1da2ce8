package cni

import (
	"context"

	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/podipam"
)

// CleanupFailedAdd runs the teardown of a failed ADD of one attachment, for the tests.
func CleanupFailedAdd(ctx context.Context, pluginConf []byte, containerID, ifName string) error {
	conf, err := config.Parse(pluginConf)
	if err != nil {
		return err
	}
	return cleanupFailedAdd(ctx, conf, podipam.Key{ContainerID: containerID, IfName: ifName})
}
