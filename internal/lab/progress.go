package lab

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// progressFile is where the supervisor writes one line per step, for `lab up` to show.
func progressFile(dir string) string { return filepath.Join(dir, "progress.log") }

// progressLog appends lines to the progress file (and to w, when given).
type progressLog struct {
	mu sync.Mutex
	f  *os.File
	w  io.Writer
}

func openProgress(dir string, w io.Writer) (*progressLog, error) {
	f, err := os.OpenFile(progressFile(dir), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &progressLog{f: f, w: w}, nil
}

func (p *progressLog) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := fmt.Sprintf(format, args...) + "\n"
	_, _ = p.f.WriteString(line)
	if p.w != nil {
		_, _ = io.WriteString(p.w, line)
	}
}

func (p *progressLog) Close() error { return p.f.Close() }
