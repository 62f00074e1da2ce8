// Command kubectl is Kubernetes' kubectl, built from k8s.io/kubernetes at the version that
// test/kube/go.mod pins, so the lab and the end-to-end tests use a client of the API server's
// own version. It does what upstream's main does.
package main

import (
	"os"

	_ "k8s.io/client-go/plugin/pkg/client/auth" // client auth plugins, as upstream
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	// Verbosity is set before the command is built, as upstream does, so that klog works
	// while kubectl reads plugins and .kuberc.
	logs.GlogSetter(cmd.GetLogVerbosity(os.Args)) //nolint:errcheck
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		util.CheckErr(err)
	}
}
