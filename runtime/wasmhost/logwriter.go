package wasmhost

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
)

// maxLogLine bounds a guest's output line: a guest printing without newlines cannot grow the buffer.
const maxLogLine = 4 << 10

// logWriter turns a guest's stdout or stderr into log lines carrying the plugin's name. Instances of a plugin
// share it, hence the lock; guest output is not on any hot path.
type logWriter struct {
	log    *slog.Logger
	stream string
	mu     sync.Mutex
	buf    []byte
}

func newLogWriter(log *slog.Logger, stream string) *logWriter {
	return &logWriter{log: log, stream: stream}
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.buf = append(w.buf, p...)
			if len(w.buf) >= maxLogLine {
				w.flush()
			}
			break
		}
		w.buf = append(w.buf, p[:i]...)
		w.flush()
		p = p[i+1:]
	}
	return n, nil
}

func (w *logWriter) flush() {
	line := w.buf
	if len(line) > maxLogLine {
		line = line[:maxLogLine]
	}
	w.log.LogAttrs(context.Background(), slog.LevelInfo, "guest output",
		slog.String("stream", w.stream), slog.String("line", string(line)))
	w.buf = w.buf[:0]
}
