// Command floor is the benchmark's floor: a CNI plugin (`"type": "floor"`) that does no
// work. ADD prints an empty result, DEL and everything else succeed. Its latency through
// libcni is what every call costs before a plugin does anything: the runtime's exec, the
// Go runtime starting, libcni's result cache on disk.
package main

import (
	"fmt"
	"os"
)

func main() {
	if os.Getenv("CNI_COMMAND") == "ADD" {
		fmt.Print(`{"cniVersion":"1.1.0"}`)
	}
}
