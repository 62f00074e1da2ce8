package images

import (
	_ "embed"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dualnet/dualnet/internal/image"
)

const (
	Nginx = "docker.io/library/nginx:latest"
	// NginxE2E is the name Kubernetes' e2e suite pulls nginx by.
	NginxE2E = "registry.k8s.io/e2e-test-images/nginx:1.27.0-2"
	// NginxE2ENew is the suite's "newer nginx", which its rollout specs update NginxE2E to.
	NginxE2ENew = "registry.k8s.io/e2e-test-images/nginx:1.28.0-2"

	// Debian's nginx-light (or any of its nginx packages) and nginx-common.
	hostNginx          = "/usr/sbin/nginx"
	hostNginxMimeTypes = "/etc/nginx/mime.types"
	hostNginxWelcome   = "/usr/share/nginx/html/index.html"
)

var (
	//go:embed nginx/nginx.conf
	nginxConf []byte
	//go:embed nginx/default.conf
	nginxDefaultConf []byte
)

// nginx is Nginx as the official image behaves: nginx on port 80 of IPv4 and IPv6 serving the
// stock "Welcome to nginx!" page, logging to the container's stdout and stderr, its master
// as root and its worker as the user nginx (101), started with `nginx -g 'daemon off;'`. It
// is on the shell layers, as the official image is on Debian with curl: `kubectl exec` of
// sh, bash, curl, ls, ps, hostname and the like works in it.
func (b *builder) nginx() (Image, error) {
	layers, err := b.shellLayers()
	if err != nil {
		return Image{}, err
	}
	bin := image.NewLayer()
	if _, err := bin.Executable(hostNginx, hostNginx, b.machine); err != nil {
		return Image{}, fmt.Errorf("%w (Debian: apt-get install nginx-light; scripts/install-prereqs.sh)", err)
	}
	binLayer, err := b.layer(bin, hostNginx+" with its loader and libraries")
	if err != nil {
		return Image{}, err
	}

	conf := image.NewLayer()
	for _, dir := range []struct {
		path string
		mode int64
	}{
		{"/etc/nginx/conf.d", 0o755},
		// Debian's nginx keeps its request bodies and proxy buffers here, in directories it
		// makes at start for its worker's user.
		{"/var/lib/nginx", 0o755},
		{"/var/log/nginx", 0o755},
		{"/run", 0o755}, // nginx.pid
	} {
		if err := conf.Dir(dir.path, dir.mode); err != nil {
			return Image{}, err
		}
	}
	for _, f := range []struct{ to, from string }{
		{"/etc/nginx/mime.types", hostNginxMimeTypes},
		{"/usr/share/nginx/html/index.html", hostNginxWelcome},
	} {
		if err := conf.File(f.to, f.from, 0o644); err != nil {
			return Image{}, fmt.Errorf("%w (Debian: apt-get install nginx-light; scripts/install-prereqs.sh)", err)
		}
	}
	for _, f := range []struct {
		path    string
		content []byte
	}{
		{"/etc/nginx/nginx.conf", nginxConf},
		{"/etc/nginx/conf.d/default.conf", nginxDefaultConf},
		{"/etc/passwd", []byte("root:x:0:0:root:/root:/bin/bash\nnginx:x:101:101:nginx user:/nonexistent:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")},
		{"/etc/group", []byte("root:x:0:\nnginx:x:101:\nnogroup:x:65534:\n")},
	} {
		if err := conf.Content(f.path, f.content, 0o644); err != nil {
			return Image{}, err
		}
	}
	// As in the official image, for whoever reads the usual log files.
	for _, link := range [][2]string{{"/var/log/nginx/access.log", "/dev/stdout"}, {"/var/log/nginx/error.log", "/dev/stderr"}} {
		if err := conf.Symlink(link[0], link[1]); err != nil {
			return Image{}, err
		}
	}
	confLayer, err := b.layer(conf, "nginx's configuration, welcome page, user and directories")
	if err != nil {
		return Image{}, err
	}

	img, err := image.Build(v1.Config{
		Env:          []string{"PATH=" + shellPATH},
		Cmd:          []string{"nginx", "-g", "daemon off;"},
		ExposedPorts: map[string]struct{}{"80/tcp": {}},
		// nginx finishes the requests it serves on SIGQUIT, and stops at once on SIGTERM.
		StopSignal: "SIGQUIT",
	}, append(layers, binLayer, confLayer)...)
	return Image{Tags: tags(Nginx, NginxE2E, NginxE2ENew), Image: img}, err
}
