package lab

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// The lab's Azure: one subscription, resource group and route table, as AKS makes them for a
// kubenet cluster (MC_<group>_<cluster>_<region> holds the node resources and the route table).
const (
	armSubscription  = "00000000-0000-0000-0000-000000000000"
	armResourceGroup = "MC_dualnet-lab_dualnet_westeurope"
	armLocation      = "westeurope"
)

// arm is the lab's local ARM endpoint (dualnet-armemu): dualnet-controller writes the route
// table there through the Azure SDK, and armemu mirrors the table into the vnet namespace, as
// Azure's fabric applies a subnet's route table. Its port is fixed at the start so that a
// restarted armemu keeps the URL the controller was given.
type arm struct {
	url, certFile, urlFile, stateFile, table, vnet string
	port                                           int
	cfg                                            Config
}

func newARM(st *State, cfg Config, topo Topology) (*arm, error) {
	dir := filepath.Join(st.Dir, "armemu")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	a := &arm{
		port:      port,
		url:       "https://127.0.0.1:" + strconv.Itoa(port),
		certFile:  filepath.Join(dir, "armemu.pem"),
		urlFile:   filepath.Join(dir, "url"),
		stateFile: filepath.Join(dir, "state.json"),
		table:     cfg.Name + "-routetable",
		vnet:      NetnsPath(topo.Names.Vnet()),
		cfg:       cfg,
	}
	return a, st.setEndpoint("arm", a.url)
}

func (a *arm) component(path string) component {
	return component{
		Name: "dualnet-armemu",
		Path: path,
		Args: []string{
			"--listen=127.0.0.1:" + strconv.Itoa(a.port),
			"--cert-file=" + a.certFile,
			"--url-file=" + a.urlFile,
			// The table outlives an armemu restart, as an Azure route table would.
			"--state-file=" + a.stateFile,
			"--subscription=" + armSubscription,
			"--resource-group=" + armResourceGroup,
			"--route-table=" + a.table,
			"--location=" + armLocation,
			fmt.Sprintf("--route-limit=%d", a.cfg.Spec.MaxRoutes),
			"--apply-netns=" + a.vnet,
			"--pod-cidrs=" + joinCIDRs(a.cfg.Spec.PodCIDRs),
		},
		// Written once it listens (the certificate is written before).
		ReadyFile: a.urlFile,
	}
}

func (a *arm) controllerArgs() []string {
	return []string{
		"--routes=azure",
		"--azure-endpoint=" + a.url,
		"--azure-ca-file=" + a.certFile,
		"--azure-subscription-id=" + armSubscription,
		"--azure-resource-group=" + armResourceGroup,
		"--azure-route-table=" + a.table,
		"--azure-credential=none",
		// Repair drift (someone editing the table) quickly, as a lab should show it.
		"--routes-resync=10s",
	}
}

// freeLoopbackPort asks the kernel for a free port on 127.0.0.1.
func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port for armemu: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
