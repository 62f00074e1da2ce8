package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/masquerade"
)

// watchTables calls resync when the masquerade table changes, and sweep when the CNI
// plugin's anti-spoofing table loses a part or is made, in the node's namespace, until ctx
// ends: a firewall reload (`nft flush ruleset`) or a hand-flushed table is then repaired
// within one sync, and a table loaded from a ruleset saved in another boot is replaced
// (antispoof.Repair), not at the next --resync or --antispoof-sweep. It reads the nftables
// notifications that `nft monitor` prints (netlink group NFNLGRP_NFTABLES).
func (a *Agent) watchTables(ctx context.Context, resync, sweep func()) {
	keepWatching(ctx, "nftables tables", func(ctx context.Context) error { return a.watchTablesOnce(ctx, resync, sweep) }, resync)
}

func (a *Agent) watchTablesOnce(ctx context.Context, resync, sweep func()) error {
	var fd int
	// A socket belongs to the namespace it is made in, for its life.
	err := a.cfg.Namespace.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_NETFILTER)
		return err
	})
	if err != nil {
		return fmt.Errorf("nftables netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1 << (unix.NFNLGRP_NFTABLES - 1)}); err != nil {
		unix.Close(fd)
		return fmt.Errorf("subscribe to nftables notifications in %s: %w", a.cfg.Namespace, err)
	}
	return readUntilDone(ctx, fd, "nftables notifications", func(data []byte, err error) error {
		if errors.Is(err, unix.ENOBUFS) { // notifications were lost: look at everything
			resync()
			sweep()
			return nil
		}
		if err != nil {
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(data)
		if err != nil {
			resync()
			sweep()
			return nil
		}
		for _, m := range msgs {
			switch tableChange(m) {
			case masqueradeChanged:
				resync()
			case antispoofToCheck:
				sweep()
			}
		}
		return nil
	})
}

// What an nftables notification means to the agent.
type tableEffect int

const (
	otherTable        tableEffect = iota
	masqueradeChanged             // anything of table inet dualnet
	antispoofToCheck              // table bridge dualnet-antispoof, a chain, rule or set of it deleted; or the table or a chain made
)

// tableChange reads which table an nftables notification is about: the family is in its
// nfgenmsg, and the table's name is the first attribute of every message about a table or a
// part of it (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE,
// NFTA_SET_ELEM_LIST_TABLE, ... are all 1). Elements added to or removed from the
// anti-spoofing sets are pods coming and going, not damage.
func tableChange(m syscall.NetlinkMessage) tableEffect {
	const nfgenmsgLen = 4
	if m.Header.Type>>8 != unix.NFNL_SUBSYS_NFTABLES || len(m.Data) < nfgenmsgLen {
		return otherTable
	}
	msgType := m.Header.Type & 0xff
	if msgType == unix.NFT_MSG_NEWGEN || msgType == unix.NFT_MSG_TRACE {
		return otherTable // about no table
	}
	attrs, err := nl.ParseRouteAttr(m.Data[nfgenmsgLen:])
	if err != nil || len(attrs) == 0 || attrs[0].Attr.Type&^unix.NLA_F_NESTED != 1 {
		return otherTable
	}
	table := strings.TrimRight(string(attrs[0].Value), "\x00")
	switch family := m.Data[0]; {
	case family == unix.NFPROTO_INET && table == masquerade.TableName:
		return masqueradeChanged
	case family == unix.NFPROTO_BRIDGE && table == antispoof.Table:
		switch msgType {
		case unix.NFT_MSG_DELTABLE, unix.NFT_MSG_DELCHAIN, unix.NFT_MSG_DELRULE, unix.NFT_MSG_DELSET:
			return antispoofToCheck
		case unix.NFT_MSG_NEWTABLE, unix.NFT_MSG_NEWCHAIN:
			// Made by the plugin or the agent, or loaded from a file, perhaps one saved in
			// another boot (antispoof/boot.go). Adding what exists sends nothing, so this
			// is one sweep each time the table is written anew.
			return antispoofToCheck
		}
	}
	return otherTable
}
