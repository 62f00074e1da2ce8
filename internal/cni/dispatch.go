package cni

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"
)

// Args are one call's parameters: the CNI_* environment variables and the network config
// on stdin (CNI spec, "Parameters").
type Args struct {
	ContainerID string // CNI_CONTAINERID
	Netns       string // CNI_NETNS
	IfName      string // CNI_IFNAME
	Args        string // CNI_ARGS
	Path        string // CNI_PATH
	StdinData   []byte
}

// Main runs one call of the plugin as a runtime makes it, and exits 1, with the error's
// JSON on stdout, when the call fails (CNI spec, "Error"). Without CNI_COMMAND it prints
// about and the spec versions it speaks.
//
// It does what containernetworking/cni's skel does, in fewer steps: skel links a package
// that compiles a regular expression at initialisation, decodes the config twice more than
// the verb does, and, after ADD and DEL have run, opens the pod's namespace again to check
// it is not the plugin's own, which ADD has checked before it touched anything
// (openPodNS) and DEL does not need. Each of those is on every pod's start or stop.
func Main(about string) {
	// One P. A call is one goroutine doing one thing after another, mostly in blocking
	// syscalls (netlink, files): a second P has nothing of it to run, and the scheduler pays
	// for one anyway, waking threads to look for work for it. That is CPU every pod starting
	// or stopping on the node pays, most when many do at once. Measured with bench/cni on 2
	// cores: dual-stack ADD with 20 calls in flight 10-17% less CPU, sequential ADD the
	// same, DEL 7-23% less (bench/cni/README.md). The code it runs starts no goroutines that
	// must run while it waits in a syscall (antispoof's nft runs use files, not pipes).
	runtime.GOMAXPROCS(1)
	if err := dispatch(os.Getenv, os.Stdin, os.Stdout, os.Stderr, about); err != nil {
		if perr := err.Print(); perr != nil {
			fmt.Fprintf(os.Stderr, "dualnet-cni: writing the error %q to stdout: %v\n", err.Msg, perr)
		}
		os.Exit(1)
	}
}

// verbs are the commands that read a network config: the variables each needs beyond
// CNI_COMMAND, whether it names an attachment, and the spec version that introduced it,
// when the plugin speaks an older one.
var verbs = map[string]struct {
	run        func(*Args) error
	needs      []string
	attachment bool
	since      string
}{
	"ADD":    {cmdAdd, []string{"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"}, true, ""},
	"DEL":    {cmdDel, []string{"CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"}, true, ""},
	"CHECK":  {cmdCheck, []string{"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"}, true, ""},
	"GC":     {cmdGC, []string{"CNI_PATH"}, false, "1.1.0"},
	"STATUS": {cmdStatus, []string{"CNI_PATH"}, false, "1.1.0"},
}

func dispatch(getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, about string) *types.Error {
	cmd := getenv("CNI_COMMAND")
	switch cmd {
	case "":
		fmt.Fprintln(stderr, about)
		fmt.Fprintf(stderr, "CNI protocol versions supported: %s\n", strings.Join(VersionInfo().SupportedVersions(), ", "))
		return nil
	case "VERSION":
		if err := VersionInfo().Encode(stdout); err != nil {
			return types.NewError(types.ErrIOFailure, fmt.Sprintf("writing the version to stdout: %v", err), "")
		}
		return nil
	}
	verb, ok := verbs[cmd]
	if !ok {
		return types.NewError(types.ErrInvalidEnvironmentVariables, fmt.Sprintf("CNI_COMMAND %q: unknown; dualnet answers ADD, DEL, CHECK, GC, STATUS and VERSION", cmd), "")
	}
	var missing []string
	for _, name := range verb.needs {
		if getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return types.NewError(types.ErrInvalidEnvironmentVariables, fmt.Sprintf("required env variables [%s] missing for %s", strings.Join(missing, ","), cmd), "")
	}
	args := &Args{
		ContainerID: getenv("CNI_CONTAINERID"),
		Netns:       getenv("CNI_NETNS"),
		IfName:      getenv("CNI_IFNAME"),
		Args:        getenv("CNI_ARGS"),
		Path:        getenv("CNI_PATH"),
	}
	if verb.attachment {
		// Refused before stdin is read, as skel refuses them: a runtime that sends such a
		// name has a bug to see, even on DEL.
		if _, err := attachmentOf(args); err != nil {
			return asCNIError(err)
		}
	}
	data, err := io.ReadAll(stdin)
	if err != nil {
		return types.NewError(types.ErrIOFailure, fmt.Sprintf("reading the network config from stdin: %v", err), "")
	}
	args.StdinData = data
	// Each verb's config parse refuses a cniVersion the plugin does not speak; one it speaks
	// that predates the verb is refused here. (A config that does not decode is left to the
	// verb's parse, which says what is wrong with it.)
	if verb.since != "" {
		v, err := new(version.ConfigDecoder).Decode(data)
		if err == nil {
			if newer, err := version.GreaterThanOrEqualTo(v, verb.since); err == nil && !newer {
				return types.NewError(types.ErrIncompatibleCNIVersion, fmt.Sprintf("cniVersion %s: %s came in CNI spec %s", v, cmd, verb.since), "")
			}
		}
	}
	if err := verb.run(args); err != nil {
		return asCNIError(err)
	}
	return nil
}

// asCNIError is err as the spec's error object: itself when it is one, else an internal
// error (code 999) with its text.
func asCNIError(err error) *types.Error {
	var e *types.Error
	if errors.As(err, &e) {
		return e
	}
	return types.NewError(types.ErrInternal, err.Error(), "")
}
