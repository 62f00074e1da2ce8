package workload

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Run runs the built-in program of image with the container's command and arguments.
// hostname is the pod's name, as a container sees it.
func Run(ctx context.Context, image string, argv []string, hostname string, out io.Writer) error {
	switch Builtin(image) {
	case "nginx":
		return Nginx(ctx, hostname)
	case "busybox", "agnhost":
		return command(ctx, argv, hostname, out)
	}
	return fmt.Errorf("image %q is not built into the lab (built-in images: %s)", image, Names)
}

// command understands the test commands that busybox and agnhost pods use:
//
//	sleep N | sleep infinity | pause           wait (no command at all also waits)
//	serve [--port P] | netexec [--http-port P] HTTP server: / and /hostname answer the pod's
//	                                           name, /clientip the caller's address
//	connect HOST:PORT [--timeout D]            TCP connect, exit 0 on success (agnhost connect)
//
// A leading "agnhost", "/agnhost" or "busybox" is skipped, as is "sh -c" around one command.
func command(ctx context.Context, argv []string, hostname string, out io.Writer) error {
	argv = unwrap(argv)
	if len(argv) == 0 {
		<-ctx.Done()
		return nil
	}
	switch argv[0] {
	case "sleep":
		return sleep(ctx, argv[1:])
	case "pause":
		<-ctx.Done()
		return nil
	case "serve", "netexec", "serve-hostname":
		return serveHostname(ctx, argv, hostname)
	case "connect":
		return connect(ctx, argv[1:], out)
	}
	return fmt.Errorf("%q is not one of the lab's built-in commands (sleep, pause, serve, netexec, connect)", strings.Join(argv, " "))
}

func unwrap(argv []string) []string {
	for len(argv) > 0 {
		switch {
		case argv[0] == "agnhost" || argv[0] == "/agnhost" || argv[0] == "busybox":
			argv = argv[1:]
		case len(argv) == 3 && (argv[0] == "sh" || argv[0] == "/bin/sh") && argv[1] == "-c":
			argv = strings.Fields(argv[2])
		default:
			return argv
		}
	}
	return argv
}

func sleep(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "infinity" {
		<-ctx.Done()
		return nil
	}
	secs, err := strconv.ParseFloat(args[0], 64)
	if err != nil {
		return fmt.Errorf("sleep: %q is not a number of seconds", args[0])
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Duration(secs * float64(time.Second))):
	}
	return nil
}

func serveHostname(ctx context.Context, argv []string, hostname string) error {
	fs := flag.NewFlagSet(argv[0], flag.ContinueOnError)
	defaultPort := 8080 // agnhost netexec's
	if argv[0] == "serve-hostname" {
		defaultPort = 9376 // agnhost serve-hostname's
	}
	port := new(int)
	fs.IntVar(port, "port", defaultPort, "port to serve on")
	fs.IntVar(port, "http-port", defaultPort, "port to serve on (agnhost netexec)")
	if err := fs.Parse(argv[1:]); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/clientip", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.RemoteAddr)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, hostname)
	})
	return serve(ctx, *port, mux)
}

func connect(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 5*time.Second, "give up after")
	if err := fs.Parse(reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("connect: want one HOST:PORT")
	}
	d := net.Dialer{Timeout: *timeout}
	conn, err := d.DialContext(ctx, "tcp", fs.Arg(0))
	if err != nil {
		return fmt.Errorf("connect %s: %w", fs.Arg(0), err)
	}
	fmt.Fprintf(out, "connected %s -> %s\n", conn.LocalAddr(), conn.RemoteAddr())
	return conn.Close()
}

// reorder puts flags before the positional argument, as agnhost (cobra) accepts them after.
func reorder(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		if strings.HasPrefix(args[i], "-") {
			flags = append(flags, args[i])
			if !strings.Contains(args[i], "=") && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		rest = append(rest, args[i])
	}
	return append(flags, rest...)
}
