//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"time"
)

// clusterIPCommand is the README's: a ClusterIP Service of both families in front of nginx.
const clusterIPCommand = `kubectl expose deployment nginx --name=nginx-cluster --port=80 --overrides='{"spec":{"ipFamilyPolicy":"RequireDualStack"}}'`

// checkDualStackClusterIPService: a RequireDualStack ClusterIP Service in front of the nginx
// Deployment gets a ClusterIP of each family, IPv4 first, and a pod on every node gets nginx's
// page from both, through that node's kube-proxy (nftables DNAT in the node's namespace).
// Several requests per client and family reach backends on the client's own bridge as well as
// on other nodes, by chance; checkHairpinAndSameNodeService forces the same-node and hairpin cases.
func (l *testLab) checkDualStackClusterIPService() {
	t := l.t
	l.kubectl(shellWords(strings.TrimPrefix(clusterIPCommand, "kubectl "))...)
	ips := serviceClusterIPs(l, "nginx-cluster")

	// A client pod bound to each node (the lab's busybox only sleeps; curl runs in its
	// namespace through lab exec), so that every node's kube-proxy is the one that answers.
	nodes := strings.Fields(l.kubectl("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"))
	var clients []string
	for i, node := range nodes {
		name := fmt.Sprintf("clusterip-client-%d", i)
		l.kubectl("run", name, "--image=busybox", "--restart=Never", "--labels=app=clusterip-client",
			`--overrides={"spec":{"nodeName":"`+node+`"}}`, "--", "sleep", "3600")
		clients = append(clients, name)
	}
	l.kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=clusterip-client", "--timeout=25s")

	const requests = 6
	start := time.Now()
	for i, client := range clients {
		for _, ip := range ips {
			url := "http://" + hostPort(ip, 80) + "/"
			eventually(t, 30*time.Second, fmt.Sprintf("%d requests in a row for %s from pod %s on %s answered by nginx", requests, url, client, nodes[i]), func() error {
				for n := 0; n < requests; n++ {
					page, err := l.exec("default/"+client, "curl", "-sS", "-m", "3", url)
					if err != nil || !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, "<title>Welcome to nginx!</title>") {
						return fmt.Errorf("request %d: %v: %s", n+1, err, page)
					}
				}
				return nil
			})
		}
	}
	t.Logf("MEASURED: %d pods x %d ClusterIPs x %d requests answered by nginx in %.1fs", len(clients), len(ips), requests, time.Since(start).Seconds())
	l.kubectl("delete", "pod", "-l", "app=clusterip-client", "--wait=true", "--grace-period=1") // sleep ignores SIGTERM as PID 1
}
