package antispoof

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// elementOp is a change to set elements.
type elementOp int

const (
	addElements    elementOp = iota // without a timeout: for as long as the pod lives
	expireElements                  // add or update with a timeout of expireAfter
	deleteElements
)

// expireAfter is the timeout that retires an element: the shortest nft has, one
// millisecond, which the kernel rounds up to a clock tick.
const expireAfter = 1 // ms

func (op elementOp) String() string {
	return [...]string{"add", "expire", "delete"}[op]
}

// message is the nftables message type of op.
func (op elementOp) message() uint16 {
	if op == deleteElements {
		return unix.NFT_MSG_DELSETELEM
	}
	return unix.NFT_MSG_NEWSETELEM
}

// netlinkTimeout bounds the wait for the kernel's answer; it answers in microseconds.
const netlinkTimeout = 5 * time.Second

// applyElements changes the elements of Table's sets in one nftables transaction (a netlink
// batch: all of it or none of it), in the caller's network namespace. It is what `nft add
// element` sends, without an nft process. An error wraps the kernel's errno: ENOENT when
// the table, a set or (on delete) an element does not exist.
func applyElements(op elementOp, changes []setKeys) error {
	if len(changes) == 0 {
		return nil
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return fmt.Errorf("nftables netlink socket: %w", err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(netlinkTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("nftables netlink socket: %w", err)
	}
	batch, last := encodeBatch(op, changes)
	if err := unix.Sendto(fd, batch, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("%s elements of bridge %s: send: %w", op, Table, err)
	}
	return awaitAcks(fd, op, changes, last)
}

// encodeBatch lays out the batch: a begin message, one message per set (each asking for an
// acknowledgement, sequence numbers 1..n), an end message. It returns the batch and n.
func encodeBatch(op elementOp, changes []setKeys) (batch []byte, last uint32) {
	batch = appendMessage(batch, unix.NFNL_MSG_BATCH_BEGIN, unix.NLM_F_REQUEST, 0, unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES, nil)
	flags := uint16(unix.NLM_F_REQUEST | unix.NLM_F_ACK)
	if op != deleteElements {
		flags |= unix.NLM_F_CREATE // adding an element that exists is no error: it updates it
	}
	for _, c := range changes {
		last++
		list := nl.NewRtAttr(unix.NLA_F_NESTED|unix.NFTA_SET_ELEM_LIST_ELEMENTS, nil)
		for _, key := range c.keys {
			elem := list.AddRtAttr(unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, nil)
			elem.AddRtAttr(unix.NLA_F_NESTED|unix.NFTA_SET_ELEM_KEY, nil).AddRtAttr(unix.NFTA_DATA_VALUE, key)
			if op == expireElements {
				elem.AddRtAttr(unix.NFTA_SET_ELEM_TIMEOUT, nl.BEUint64Attr(expireAfter))
			}
		}
		var attrs []byte
		attrs = append(attrs, nl.NewRtAttr(unix.NFTA_SET_ELEM_LIST_TABLE, nl.ZeroTerminated(Table)).Serialize()...)
		attrs = append(attrs, nl.NewRtAttr(unix.NFTA_SET_ELEM_LIST_SET, nl.ZeroTerminated(c.set)).Serialize()...)
		attrs = append(attrs, list.Serialize()...)
		batch = appendMessage(batch, unix.NFNL_SUBSYS_NFTABLES<<8|op.message(), flags, last, unix.NFPROTO_BRIDGE, 0, attrs)
	}
	batch = appendMessage(batch, unix.NFNL_MSG_BATCH_END, unix.NLM_F_REQUEST, last+1, unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES, nil)
	return batch, last
}

// appendMessage appends a netlink header, the nfnetlink header (family, version,
// big-endian resource id: the subsystem, for batch messages) and the attributes.
func appendMessage(b []byte, typ, flags uint16, seq uint32, family uint8, resID uint16, attrs []byte) []byte {
	const nfgenmsgLen = 4
	hdr := make([]byte, unix.NLMSG_HDRLEN+nfgenmsgLen)
	native := nl.NativeEndian()
	native.PutUint32(hdr[0:4], uint32(len(hdr)+len(attrs)))
	native.PutUint16(hdr[4:6], typ)
	native.PutUint16(hdr[6:8], flags)
	native.PutUint32(hdr[8:12], seq)
	hdr[unix.NLMSG_HDRLEN] = family
	hdr[unix.NLMSG_HDRLEN+1] = unix.NFNETLINK_V0
	binary.BigEndian.PutUint16(hdr[unix.NLMSG_HDRLEN+2:], resID)
	return append(append(b, hdr...), attrs...)
}

// awaitAcks reads one acknowledgement per set message and returns the first error among
// them. A batch the kernel refuses as a whole is answered once, about the begin message.
func awaitAcks(fd int, op elementOp, changes []setKeys, last uint32) error {
	buf := make([]byte, 1<<16)
	var firstErr error
	for acked := uint32(0); acked < last; {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue // a signal; SO_RCVTIMEO makes recvfrom not restart by itself
		}
		if errors.Is(err, unix.EAGAIN) {
			return fmt.Errorf("%s elements of bridge %s: no answer from the kernel within %v", op, Table, netlinkTimeout)
		}
		if err != nil {
			return fmt.Errorf("%s elements of bridge %s: read the kernel's answer: %w", op, Table, err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("%s elements of bridge %s: parse the kernel's answer: %w", op, Table, err)
		}
		for _, m := range msgs {
			if m.Header.Type != unix.NLMSG_ERROR || len(m.Data) < 4 {
				continue
			}
			acked++
			errno := -int32(nl.NativeEndian().Uint32(m.Data[:4]))
			if errno == 0 || firstErr != nil {
				continue
			}
			what := "the batch"
			if seq := m.Header.Seq; seq >= 1 && seq <= last {
				what = "set " + changes[seq-1].set
			}
			firstErr = fmt.Errorf("%s elements of bridge %s, %s: %w%s", op, Table, what, syscall.Errno(errno), hint(syscall.Errno(errno)))
			if m.Header.Seq == 0 {
				return firstErr
			}
		}
	}
	return firstErr
}

// hint says what an errno most likely means here.
func hint(errno syscall.Errno) string {
	if errno == unix.EINVAL {
		return " (the set's key types differ from this dualnet's: a table written by another version?)"
	}
	return ""
}

// isNotFound tells an error of applyElements that means "no such table, set or element".
func isNotFound(err error) bool { return errors.Is(err, unix.ENOENT) }
