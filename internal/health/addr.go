package health

import (
	"fmt"
	"net"
	"strconv"
)

// CheckAddr checks a listen address flag (--health-addr, dualnet-armemu's --listen):
// [host]:port as net.Listen reads "tcp" addresses, the port written as a number from 0 to
// 65535 (no service name). It resolves nothing, so that a binary can check its flags before
// it contacts anything.
func CheckAddr(flag, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s: %q is not a listen address: %v; write host:port or :port, like :10267 or 127.0.0.1:0", flag, addr, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || strconv.FormatUint(n, 10) != port {
		return fmt.Errorf("%s: %q: port %q is not a number from 0 to 65535", flag, addr, port)
	}
	return nil
}
