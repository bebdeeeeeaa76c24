package local

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// LogFile is where a function's or emulator's output goes.
func (s *Stack) LogFile(name string) string {
	return filepath.Join(s.opts.StateDir, "logs", name+".log")
}

func (s *Stack) logFile(name string) io.Writer {
	f, err := os.OpenFile(filepath.Join(s.opts.StateDir, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return s.opts.Output
	}
	return io.MultiWriter(f, &prefixWriter{prefix: name, w: s.opts.Output})
}

// prefixWriter prefixes each line with a name, for the terminal.
type prefixWriter struct {
	mu     sync.Mutex
	prefix string
	w      io.Writer
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if p.w == io.Discard {
		return len(b), nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := strings.IndexByte(string(p.buf), '\n')
		if i < 0 {
			break
		}
		fmt.Fprintf(p.w, "%-18s| %s\n", p.prefix, p.buf[:i])
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}
