package images_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/lab/images"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// podAddresses gives this test binary's network namespace a link with an IPv4 and an IPv6
// address, as a pod's eth0 has, and returns them; the link goes when the test ends.
func podAddresses(t *testing.T) []string {
	t.Helper()
	// A veth pair: this kernel has no dummy links.
	link := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "dn-imgtest0"}, PeerName: "dn-imgtest1"}
	if err := netlink.LinkAdd(link); err != nil {
		t.Fatalf("add %s: %v", link.Name, err)
	}
	t.Cleanup(func() { _ = netlink.LinkDel(link) })
	addrs := []string{"192.0.2.1/24", "2001:db8::1/64"}
	for _, a := range addrs {
		addr, err := netlink.ParseAddr(a)
		if err != nil {
			t.Fatal(err)
		}
		addr.Flags = unix.IFA_F_NODAD // usable at once, with no duplicate detection to wait for
		if err := netlink.AddrAdd(link, addr); err != nil {
			t.Fatalf("add %s to %s: %v", a, link.Name, err)
		}
	}
	for _, name := range []string{link.Name, link.PeerName} {
		if err := netlink.LinkSetUp(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}}); err != nil {
			t.Fatalf("set %s up: %v", name, err)
		}
	}
	return []string{"192.0.2.1", "2001:db8::1"}
}

// httpGet gets url straight from this namespace, never through a proxy.
func httpGet(url string) (string, error) {
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(body), err
}

// uidsOfChildren are the real UIDs of pid's child processes.
func uidsOfChildren(t *testing.T, pid int) []string {
	t.Helper()
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var uids []string
	for _, task := range tasks {
		b, _ := os.ReadFile(task)
		for _, child := range strings.Fields(string(b)) {
			status, _ := os.ReadFile("/proc/" + child + "/status")
			for _, line := range strings.Split(string(status), "\n") {
				if v, ok := strings.CutPrefix(line, "Uid:"); ok {
					uids = append(uids, strings.Fields(v)[0])
				}
			}
		}
	}
	return uids
}

// nginx, started as the image says, serves the stock welcome page on port 80 of every IPv4
// and IPv6 address, to clients outside and to the image's own curl (`kubectl exec <pod> --
// curl`) and busybox's wget, logs each request to its stdout, runs its worker as the user
// nginx, and stops cleanly on its stop signal.
func TestNginxServesTheWelcomePageOverIPv4AndIPv6(t *testing.T) {
	imgs, _ := labImages(t)
	img := byTag(t, imgs, images.Nginx).Image
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := unpack(t, img)
	busybox := unpack(t, byTag(t, imgs, images.Busybox).Image)
	addrs := append([]string{"127.0.0.1", "::1"}, podAddresses(t)...)
	nginx, stdout, stderr := c.start(t, "", cfg.Config.Cmd...)

	const welcome = "<title>Welcome to nginx!</title>"
	for _, addr := range addrs {
		url := "http://" + net.JoinHostPort(addr, "80") + "/"
		err := poll.Until(10*time.Second, 50*time.Millisecond, func() error {
			body, err := httpGet(url)
			if err == nil && !strings.Contains(body, welcome) {
				err = fmt.Errorf("GET %s: %q is not the welcome page", url, body)
			}
			return err
		})
		if err != nil {
			t.Errorf("%v\nnginx's stderr:\n%s", err, stderr)
			continue
		}
		contains(t, "nginx's curl -s "+url, c.run(t, "curl", "-g", "-s", url), welcome)
		contains(t, "busybox's wget -qO- "+url, busybox.run(t, "wget", "-q", "-O-", url), welcome)
	}
	if err := poll.Until(5*time.Second, 50*time.Millisecond, func() error {
		if n := strings.Count(stdout.String(), `"GET / HTTP/1.1" 200`); n < 3*len(addrs) {
			return fmt.Errorf("nginx's stdout has %d request lines, want %d:\n%s", n, 3*len(addrs), stdout)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	if uids := uidsOfChildren(t, nginx.Process.Pid); len(uids) != 1 || uids[0] != "101" {
		t.Errorf("nginx's workers run as UIDs %q, want one as nginx (101)", uids)
	}
	stop(t, nginx, syscall.Signal(unix.SignalNum(cfg.Config.StopSignal)), stderr)
}

// What users run with `kubectl exec` in an nginx pod runs in the image, as in upstream's
// Debian one: sh, real bash (on a terminal too, with Debian's prompt), and the usual tools.
func TestNginxImageRunsAShellBashAndTheUsualTools(t *testing.T) {
	imgs, _ := labImages(t)
	c := unpack(t, byTag(t, imgs, images.Nginx).Image)
	hostname, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	contains(t, "sh -c 'echo x'", c.run(t, "sh", "-c", "echo x"), "x\n")
	contains(t, "bash -c", c.run(t, "bash", "-c", `echo "bash $BASH_VERSION"; [[ -x /bin/sh ]] && echo ok`), "bash 5.", "ok\n")
	contains(t, "the usual tools",
		c.run(t, "sh", "-c", "ls /usr/sbin; env; hostname; ps; sleep 0.1; grep -c nginx /etc/passwd; curl --version"),
		"nginx\n", "PATH=/usr/local/sbin:", hostname+"\n", "PID", "1\n", "curl ")
	shown := c.onTerminal(t, "echo $((6 * 7)) on $(tty)\nexit\n", "bash")
	contains(t, "bash on a terminal", shown, "root@"+hostname+":/# ", "42 on /dev/pts/")
}

// The agnhost image runs what the e2e suite runs in it: its shell pipelines, curl, OpenBSD
// nc, wget, dig, getent, iperf, seq and sleep, agnhost as /agnhost-2, and agnhost netexec answering HTTP and UDP, reached with the image's own
// curl and nc over IPv6 and IPv4.
func TestAgnhostImageRunsAgnhostAndTheSuitesTools(t *testing.T) {
	imgs, _ := labImages(t)
	c := unpack(t, byTag(t, imgs, images.Agnhost).Image)
	contains(t, "sh -c 'echo x | grep x'", c.run(t, "/bin/sh", "-c", "echo x | grep x"), "x\n")
	contains(t, "curl --version", c.run(t, "curl", "--version"), "curl 7.", "http")
	contains(t, "nc -h", c.run(t, "sh", "-c", "nc -h 2>&1"), "OpenBSD netcat")
	contains(t, "seq 3 and sleep", c.run(t, "sh", "-c", "seq 3 && sleep 0.1"), "1\n2\n3\n")
	contains(t, "dig -v", c.run(t, "sh", "-c", "dig -v 2>&1"), "DiG 9.")
	contains(t, "iperf 2", c.run(t, "sh", "-c", "iperf -v 2>&1; true"), "iperf version 2.")
	contains(t, "getent through glibc's NSS", c.run(t, "sh", "-c", "getent passwd root"), "root:x:0:0:")
	contains(t, "wget at a closed port, once", c.run(t, "sh", "-c", "wget -q -O - -T 1 http://127.0.0.1:1/; echo rc=$?"), "rc=4")
	// The suite's spec of a command that overrides the image's runs agnhost by its second name.
	contains(t, "/agnhost-2", c.run(t, "/agnhost-2", "entrypoint-tester", "x"), "[/agnhost-2 entrypoint-tester x]")

	hostname, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	_, _, stderr := c.start(t, "", "/agnhost", "netexec", "--http-port=8080", "--udp-port=8081")
	for _, probe := range []struct{ what, script string }{
		{"curl over IPv6", "curl -g -q -s --connect-timeout 1 http://[::1]:8080/hostname"},
		{"curl over IPv4", "curl -g -q -s --connect-timeout 1 http://127.0.0.1:8080/hostname"},
		{"nc -u over IPv4", "echo hostname | nc -w 1 -u 127.0.0.1 8081"},
		{"nc -u over IPv6", "echo hostname | nc -w 1 -u ::1 8081"},
		// As the suite's Service checks run it (Debian's busybox wget segfaults on -T).
		{"wget -T 1 over IPv4", "wget -q -O - -T 1 http://127.0.0.1:8080/hostname"},
		{"wget -T 1 over IPv6", "wget -q -O - -T 1 http://[::1]:8080/hostname"},
	} {
		err := poll.Until(10*time.Second, 100*time.Millisecond, func() error {
			out, err := c.output("sh", "-c", probe.script)
			if err == nil && strings.TrimSpace(out) != hostname {
				err = fmt.Errorf("%s printed %q, want the hostname %q", probe.script, out, hostname)
			}
			return err
		})
		if err != nil {
			t.Errorf("%s: %v\nagnhost's stderr:\n%s", probe.what, err, stderr)
		}
	}
}

// busybox's shell and applets run in its image, with nothing else there.
func TestBusyboxImageRunsItsShellAndApplets(t *testing.T) {
	imgs, _ := labImages(t)
	for _, ref := range []string{images.Busybox, images.BusyboxE2E} {
		c := unpack(t, byTag(t, imgs, ref).Image)
		contains(t, ref+" sh -c 'echo x'", c.run(t, "sh", "-c", "echo x"), "x\n")
		contains(t, ref+" sh", c.run(t, "sh", "-c", `echo "$(cat /etc/passwd | grep -c root) $(seq 2 | wc -l)"`), "1 2\n")
		contains(t, ref+" ls, env, hostname, ps", c.run(t, "sh", "-c", "ls /bin/sh; env; hostname; ps"), "/bin/sh\n", "PATH=/usr/local/sbin:", "PID")
		contains(t, ref+" wget", c.run(t, "sh", "-c", "wget --help 2>&1; true"), "Usage: wget")
		contains(t, ref+" nslookup", c.run(t, "sh", "-c", "nslookup --help 2>&1; true"), "Usage: nslookup")
	}
	// The suite's environment specs: names that are no shell identifiers reach sh's children.
	c := unpack(t, byTag(t, imgs, images.BusyboxE2E).Image)
	contains(t, "sh -c env with data-1 set", c.run(t, "/bin/busybox", "env", "data-1=value-1", "1-data-1=x", "/bin/sh", "-c", "env"), "data-1=value-1\n", "1-data-1=x\n")
}

// The sandbox image's /pause runs as its user (65535) until it is told to stop.
func TestPauseImageRunsAsItsUserUntilSIGTERM(t *testing.T) {
	imgs, _ := labImages(t)
	img := byTag(t, imgs, images.Pause).Image
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := unpack(t, img)
	pause, _, stderr := c.start(t, cfg.Config.User, cfg.Config.Entrypoint...)
	if err := poll.Until(5*time.Second, 20*time.Millisecond, func() error {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pause.Process.Pid))
		if err != nil {
			return err
		}
		if !strings.Contains(string(status), "Name:\tpause") || !strings.Contains(string(status), "Uid:\t65535\t") {
			return fmt.Errorf("process %d is not pause as 65535 (yet):\n%s", pause.Process.Pid, status)
		}
		// Printed once it handles SIGTERM (it is not PID 1 here).
		if !strings.Contains(stderr.String(), "Warning: pause should be the first process") {
			return fmt.Errorf("pause has not started yet")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	stop(t, pause, syscall.SIGTERM, stderr)
}

// agnhost porter serves TLS with the image's own localhost pair, over IPv4 and IPv6, as the
// suite's proxy specs reach it.
func TestAgnhostPorterServesTLSWithTheImagesPair(t *testing.T) {
	imgs, _ := labImages(t)
	c := unpack(t, byTag(t, imgs, images.Agnhost).Image)
	_, _, stderr := c.start(t, "", "/bin/sh", "-c", "SERVE_TLS_PORT_8443='tls ok' exec /agnhost porter")
	for _, url := range []string{"https://127.0.0.1:8443/", "https://[::1]:8443/"} {
		err := poll.Until(10*time.Second, 100*time.Millisecond, func() error {
			out, err := c.output("curl", "-g", "-k", "-s", "--max-time", "2", url)
			if err == nil && out != "tls ok" {
				err = fmt.Errorf("curl -k %s printed %q, want %q", url, out, "tls ok")
			}
			return err
		})
		if err != nil {
			t.Errorf("%v\nporter's stderr:\n%s", err, stderr)
		}
	}
}
