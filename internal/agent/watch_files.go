package agent

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
)

// watchFiles calls resync when the conflist or a plugin the agent installs is written,
// renamed or removed, until ctx ends: a runtime without the conflist starts no pod, so it
// is written again within one sync, not at the next --resync. It watches the directories
// (inotify), since a file written again is a new inode.
func (a *Agent) watchFiles(ctx context.Context, resync func()) {
	keepWatching(ctx, "CNI config and plugins", func(ctx context.Context) error { return a.watchFilesOnce(ctx, resync) }, resync)
}

// watchedFiles are the files the sync writes, by directory.
func (a *Agent) watchedFiles() map[string][]string {
	files := map[string][]string{}
	add := func(path string) {
		dir := filepath.Clean(filepath.Dir(path))
		files[dir] = append(files[dir], filepath.Base(path))
	}
	add(cniconfig.ConfigPath(a.cfg.CNIConfDir))
	if a.cfg.CNIPlugin != "" {
		add(filepath.Join(a.cfg.CNIBinDir, "dualnet"))
	}
	for _, c := range []struct {
		plugin cniconfig.Chained
		flag   string
	}{{cniconfig.Portmap, a.cfg.CNIPortmapPlugin}, {cniconfig.Bandwidth, a.cfg.CNIBandwidthPlugin}} {
		if a.cfg.chainedSource(c.flag, c.plugin) != "" {
			add(filepath.Join(a.cfg.CNIBinDir, c.plugin.Type))
		}
	}
	return files
}

// fileEvents are the inotify events of a watched directory that concern the sync: a file
// written, its mode changed, removed or renamed; the directory itself removed or renamed.
const fileEvents = unix.IN_CLOSE_WRITE | unix.IN_ATTRIB | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

// errNoDirYet asks keepWatching to start the watch again, quietly: a directory to watch did
// not exist yet (nothing may have made it before the first sync).
var errNoDirYet = errors.New("a directory to watch does not exist yet")

func (a *Agent) watchFilesOnce(ctx context.Context, resync func()) error {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("inotify: %w", err)
	}
	names := map[int32]map[string]bool{} // by watch descriptor
	missing := false
	for dir, files := range a.watchedFiles() {
		wd, err := unix.InotifyAddWatch(fd, dir, fileEvents)
		if errors.Is(err, fs.ErrNotExist) {
			missing = true
			continue
		}
		if err != nil {
			unix.Close(fd)
			return fmt.Errorf("watch %s: %w", dir, err)
		}
		names[int32(wd)] = map[string]bool{}
		for _, f := range files {
			names[int32(wd)][f] = true
		}
	}
	readCtx := ctx
	if missing {
		// Watch what is there, and look for the rest again after a while.
		var cancel context.CancelFunc
		readCtx, cancel = context.WithTimeout(ctx, watchRetry)
		defer cancel()
	}
	err = readUntilDone(readCtx, fd, "inotify events", func(data []byte, err error) error {
		if err != nil {
			return err
		}
		for len(data) >= unix.SizeofInotifyEvent {
			wd := int32(binary.NativeEndian.Uint32(data[0:]))
			mask := binary.NativeEndian.Uint32(data[4:])
			n := int(binary.NativeEndian.Uint32(data[12:]))
			end := min(unix.SizeofInotifyEvent+n, len(data))
			name := strings.TrimRight(string(data[unix.SizeofInotifyEvent:end]), "\x00")
			data = data[end:]
			switch {
			case mask&unix.IN_Q_OVERFLOW != 0:
				resync()
			case mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED) != 0:
				// Watched no more: the sync makes the directory again, and the watch
				// starts over on it.
				return errors.New("a watched directory was removed or renamed")
			case names[wd][name]:
				resync()
			}
		}
		return nil
	})
	if err == nil && ctx.Err() == nil {
		return errNoDirYet
	}
	return err
}
