package workload

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// welcomePage is the lab's own welcome page, shaped like nginx's default one (the AKS article
// checks its first lines: the doctype and the title), written for dualnet.
const welcomePage = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto; font-family: sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>This page is served by a pod of a dualnet lab: a built-in stand-in for the nginx image,
reached over the lab's dual-stack kubenet network.</p>
<p>Pod: %s</p>
</body>
</html>
`

// Nginx serves the welcome page on port 80 of both families until ctx ends, as the nginx
// image does.
func Nginx(ctx context.Context, hostname string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "nginx (dualnet lab)")
		if r.URL.Path != "/" && r.URL.Path != "/index.html" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, welcomePage, strings.ReplaceAll(hostname, "<", "&lt;"))
	})
	return serve(ctx, 80, mux)
}

// serve listens on [::]:port, which takes IPv4 and IPv6 alike, and serves until ctx ends.
func serve(ctx context.Context, port int, h http.Handler) error {
	l, err := net.Listen("tcp", fmt.Sprintf("[::]:%d", port))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(l); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
