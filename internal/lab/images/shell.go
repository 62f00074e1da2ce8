package images

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/dualnet/dualnet/internal/image"
)

// shellTools are the programs that users and the e2e suite reach for in a pod, on top of the
// busybox applets: a shell, bash (upstream's nginx and agnhost have it; busybox has none),
// curl, a wget that works, and nc that takes OpenBSD's flags (the suite runs `curl -g` and `nc -u -w 1`;
// busybox's nc has no -u).
var shellTools = []struct{ to, from, pkg string }{
	// Debian's busybox-static is built to run its own applets before anything on PATH, so
	// its sh would run busybox's nc whatever /bin/nc is: the shell is dash, as Debian's is.
	{"/bin/sh", "/bin/dash", "dash"},
	{"/bin/bash", "/bin/bash", "bash"},
	{"/usr/bin/curl", "/usr/bin/curl", "curl"},
	// Over busybox's /bin/nc: nc is OpenBSD's, by name or by path.
	{"/bin/nc", "/bin/nc.openbsd", "netcat-openbsd"},
	// Before busybox's /bin/wget on PATH: Debian's busybox 1.35 segfaults on `wget -T`, which
	// the suite's Service specs run 150 times per check. /etc/wgetrc (wgetrc) makes GNU
	// wget try once, as busybox's does.
	{"/usr/bin/wget", "/usr/bin/wget", "wget"},
	// The DNS specs look pod hostnames up with `getent hosts` in agnhost and the glibc image
	// (upstream's alpine and Debian have it; busybox has no getent). glibc's files and dns
	// lookups are inside libc itself, so the loader and libraries are all it needs.
	{"/usr/bin/getent", "/usr/bin/getent", "libc-bin"},
}

// wgetrc is GNU wget's system configuration: one try per request (its default is 20, which
// turns each `wget -T 1` at a backend that is down into 20 seconds).
const wgetrc = "tries = 1\n"

// shellLayers are the layers an image with a shell starts with: the busybox layer (its
// applets: ls, cat, ps, env, hostname, sleep, grep, ...) and a layer of the shellTools with
// the loader and libraries they load, Debian's /etc/bash.bashrc (the prompt user@host:dir#)
// and the descriptions of the usual terminals. Each is built once: the images that have them
// (agnhost, nginx) share their blobs.
func (b *builder) shellLayers() ([]mutate.Addendum, error) {
	base, err := b.busyboxLayer()
	if err != nil {
		return nil, err
	}
	tools, err := b.shared("shell tools", func() (mutate.Addendum, error) {
		l := image.NewLayer()
		for _, tool := range shellTools {
			if _, err := l.Executable(tool.to, tool.from, b.machine); err != nil {
				return mutate.Addendum{}, fmt.Errorf("%w (Debian: apt-get install %s; scripts/install-prereqs.sh)", err, tool.pkg)
			}
		}
		if err := l.File("/etc/bash.bashrc", "/etc/bash.bashrc", 0o644); err != nil {
			return mutate.Addendum{}, fmt.Errorf("%w (Debian: apt-get install bash)", err)
		}
		for _, term := range terminals {
			if err := l.File("/lib/terminfo/"+term, "/lib/terminfo/"+term, 0o644); err != nil {
				return mutate.Addendum{}, fmt.Errorf("%w (Debian: apt-get install ncurses-base)", err)
			}
		}
		// curl and bash look users and hosts up through glibc, which reads this; busybox's
		// tools do not.
		if err := l.Content("/etc/nsswitch.conf", []byte(nsswitchConf), 0o644); err != nil {
			return mutate.Addendum{}, err
		}
		if err := l.Content("/etc/wgetrc", []byte(wgetrc), 0o644); err != nil {
			return mutate.Addendum{}, err
		}
		return b.layer(l, "dash as /bin/sh, bash, curl, OpenBSD nc, wget and getent with their loader and libraries")
	})
	if err != nil {
		return nil, err
	}
	return []mutate.Addendum{base, tools}, nil
}

// nsswitchConf has glibc's programs (curl, nginx, bash) look up users and hosts in /etc and
// hosts in DNS, as Debian's default does.
const nsswitchConf = "passwd: files\ngroup: files\nhosts: files dns\n"

// terminals are the terminal types bash's line editing finds described in /lib/terminfo, as
// Debian's ncurses-base gives them: xterm is what a runtime sets for `kubectl exec -it`.
var terminals = []string{"d/dumb", "l/linux", "v/vt100", "v/vt220", "x/xterm", "x/xterm-256color", "x/xterm-color", "s/screen", "s/screen-256color", "t/tmux", "t/tmux-256color"}
