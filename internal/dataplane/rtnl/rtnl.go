// Package rtnl sends the rtnetlink requests on a pod's start and stop path: a link found by
// name, a link's addresses, a link deleted, a request the caller built. Each request gets a
// blocking socket of its own, in the calling thread's network namespace, and a small buffer
// for the answer.
//
// It exists for the CNI plugin, a process that lives for one call. vishvananda/netlink, which
// the rest of dualnet uses, wraps each request's socket in an os.File registered with the Go
// runtime's poller (whose first use creates an epoll instance and its wake-up pipe), sets
// two timeouts, asks the socket its address, and reads every answer into a 64 KiB buffer
// allocated and zeroed for it. One link lookup in a fresh process cost 0.33 ms more CPU that
// way than here (bench/cni/README.md has the measurements).
package rtnl

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// bufSize is the answer buffer. The kernel sizes each part of a dump to the reader's buffer
// (at most 32 KiB, at least about a page); a single answer bigger than this, which no link or
// address message is, is an error rather than a truncated message.
const bufSize = 16 << 10

// timeout bounds the wait for an answer: the kernel always answers, and a wedged kernel must
// not wedge a pod's start.
var timeout = unix.Timeval{Sec: 10}

// Do sends req and calls each, when it is not nil, for every message of the answer with the
// request's sequence number, until the acknowledgement or the end of a dump: req must ask
// for one (NLM_F_ACK or NLM_F_DUMP), or Do waits for it until its timeout. Answers from
// anyone but the kernel are ignored. It returns the
// kernel's error as a syscall.Errno; a dump the kernel interrupted (its objects changed
// while it ran) returns nl.ErrDumpInterrupted after all its messages, as vishvananda/netlink
// does.
func Do(req *nl.NetlinkRequest, each func(m syscall.NetlinkMessage)) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &timeout); err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	// Dumps filtered by the request's header (an address dump for one link) are filtered by
	// the kernel only with strict checking; a kernel without it (before 4.20) dumps all, and
	// the callers filter again.
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_GET_STRICT_CHK, 1)
	if err := unix.Sendto(fd, req.Serialize(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}
	buf := make([]byte, bufSize)
	interrupted := false
	for {
		n, from, err := unix.Recvfrom(fd, buf, unix.MSG_TRUNC) // n is then the datagram's whole length
		if errors.Is(err, unix.EINTR) {
			continue // a signal; SO_RCVTIMEO makes recvfrom not restart by itself
		}
		if errors.Is(err, unix.EAGAIN) {
			return fmt.Errorf("netlink receive: no answer from the kernel within %ds", timeout.Sec)
		}
		if err != nil {
			return fmt.Errorf("netlink receive: %w", err)
		}
		if sender, ok := from.(*unix.SockaddrNetlink); !ok || sender.Pid != 0 {
			continue
		}
		if n > len(buf) {
			return fmt.Errorf("netlink receive: a message of %d bytes, more than %d", n, len(buf))
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("netlink receive: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != req.Seq {
				continue
			}
			if m.Header.Flags&unix.NLM_F_DUMP_INTR != 0 {
				interrupted = true
			}
			switch m.Header.Type {
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return errors.New("netlink: a truncated acknowledgement")
				}
				if errno := int32(nl.NativeEndian().Uint32(m.Data[:4])); errno != 0 {
					return syscall.Errno(-errno)
				}
				return nil
			case unix.NLMSG_DONE:
				if len(m.Data) >= 4 {
					if errno := int32(nl.NativeEndian().Uint32(m.Data[:4])); errno != 0 {
						return syscall.Errno(-errno)
					}
				}
				if interrupted {
					return nl.ErrDumpInterrupted
				}
				return nil
			default:
				if each != nil {
					each(m)
				}
			}
		}
	}
}
