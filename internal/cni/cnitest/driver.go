package cnitest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

// Driver calls one network's plugins through libcni, as containerd does.
type Driver struct {
	CNI  *libcni.CNIConfig
	List *libcni.NetworkConfigList
}

// NewDriver loads conflist (JSON) and finds plugins in binDir; cacheDir holds libcni's
// result cache.
func NewDriver(binDir, cacheDir string, conflist []byte) (*Driver, error) {
	list, err := libcni.ConfListFromBytes(conflist)
	if err != nil {
		return nil, fmt.Errorf("conflist: %w", err)
	}
	return &Driver{CNI: libcni.NewCNIConfigWithCacheDir([]string{binDir}, cacheDir, nil), List: list}, nil
}

// Runtime is the runtime config of one attachment.
func Runtime(containerID, netnsPath, ifName string, args ...[2]string) *libcni.RuntimeConf {
	return &libcni.RuntimeConf{ContainerID: containerID, NetNS: netnsPath, IfName: ifName, Args: args}
}

// Add runs ADD for one attachment.
func (d *Driver) Add(ctx context.Context, rt *libcni.RuntimeConf) (types.Result, error) {
	return d.CNI.AddNetworkList(ctx, d.List, rt)
}

// Del runs DEL for one attachment.
func (d *Driver) Del(ctx context.Context, rt *libcni.RuntimeConf) error {
	return d.CNI.DelNetworkList(ctx, d.List, rt)
}

// Check runs CHECK with the cached ADD result as prevResult.
func (d *Driver) Check(ctx context.Context, rt *libcni.RuntimeConf) error {
	return d.CNI.CheckNetworkList(ctx, d.List, rt)
}

// Status runs STATUS.
func (d *Driver) Status(ctx context.Context) error {
	return d.CNI.GetStatusNetworkList(ctx, d.List)
}

// GC asks the plugins to release everything but valid. It goes through libcni, which first
// DELs the attachments it has cached and that are not valid, as a runtime's GC does.
func (d *Driver) GC(ctx context.Context, valid []types.GCAttachment) error {
	return d.CNI.GCNetworkList(ctx, d.List, &libcni.GCArgs{ValidAttachments: valid})
}

// Build compiles the Go main package pkg into the file out, with the given build tags (the
// crash tests' dualnet_testhooks). A runtime finds a plugin by its "type", so dualnet-cni is
// built as "dualnet".
func Build(out, pkg string, tags ...string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	args := []string{"build", "-o", out}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.Command("go", append(args, pkg)...)
	// Static, as CNI plugins ship (a runtime runs them on whatever host libc there is), and
	// no dynamic loader to pay for on every call.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, b)
	}
	return nil
}
