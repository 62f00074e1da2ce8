package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/dualnet/dualnet/internal/lab"
	"github.com/dualnet/dualnet/internal/netns"
)

func newLabExecCmd() *cobra.Command {
	var where labFlags
	cmd := &cobra.Command{
		Use:   "exec <node|vnet|vnet-host|internet|namespace/pod> -- <command> [args...]",
		Short: "Run a command of this machine inside a lab namespace: a node, vnet, vnet-host, internet or a pod",
		Example: `  dualnet lab exec dualnet-node-0 -- ip route
  dualnet lab exec vnet -- ip route
  dualnet lab exec default/nginx-7c5ddbdf54-abcde -- curl -s http://10.244.1.2/`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return errors.New("usage: dualnet lab exec <target> -- <command> [args...]")
			}
			target, err := execTarget(cmd, where, args[0])
			if err != nil {
				return err
			}
			c := exec.Command(args[1], args[2:]...)
			c.Stdin, c.Stdout, c.Stderr = os.Stdin, cmd.OutOrStdout(), cmd.ErrOrStderr()
			// It ends with this command: a signal is passed on, and the kernel kills it if
			// this process dies first.
			c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			signals := make(chan os.Signal, 1)
			signal.Notify(signals, syscall.SIGTERM, os.Interrupt)
			// The child is born in the namespace of the thread that starts it.
			if err := netns.Do(target, c.Start); err != nil {
				return err
			}
			go func() {
				for s := range signals {
					_ = c.Process.Signal(s)
				}
			}()
			err = c.Wait()
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				os.Exit(exit.ExitCode())
			}
			return err
		},
	}
	where.addTo(cmd)
	return cmd
}

// execTarget maps a target to a namespace: a pod by namespace/name (its sandbox's, found
// through its node's containerd), else a lab
// namespace by its short name (vnet, vnet-host, node-0) or its full name.
func execTarget(cmd *cobra.Command, where labFlags, target string) (string, error) {
	if ns, pod, ok := strings.Cut(target, "/"); ok {
		path, err := kubeconfigOf(where)
		if err != nil {
			return "", err
		}
		rc, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			return "", err
		}
		client, err := kubernetes.NewForConfig(rc)
		if err != nil {
			return "", err
		}
		p, err := client.CoreV1().Pods(ns).Get(cmd.Context(), pod, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("pod %s: %w", target, err)
		}
		if p.Spec.NodeName == "" {
			return "", fmt.Errorf("pod %s is not scheduled to a node yet", target)
		}
		return lab.PodNetns(cmd.Context(), where.stateRoot, where.name, p.Spec.NodeName, string(p.UID))
	}
	for _, candidate := range []string{target, where.name + "-" + target} {
		if _, err := os.Stat(netns.Path(candidate)); err == nil && strings.HasPrefix(candidate, where.name+"-") {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("%q is not a namespace of lab %q (try a node name, vnet, vnet-host, internet or namespace/pod)", target, where.name)
}
