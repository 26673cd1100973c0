// Package logbuf batches log output. parkd logs one line per request; at
// thousands of requests a second a write system call per line is a cost
// of its own. A Writer gathers the lines and writes them to the
// underlying writer when its buffer fills, every Interval, when a record
// at or above a level is logged (Handler), and on Close. A crash of the
// process loses at most Interval of buffered lines; warnings and errors
// are written at once.
package logbuf

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Interval is how often a Writer writes what it holds.
const Interval = 200 * time.Millisecond

// Writer is a buffered, concurrency-safe io.Writer flushed in the
// background. Its methods may be called from any goroutine.
type Writer struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// New returns a Writer of size bytes over dst, flushed every Interval
// until Close.
func New(dst io.Writer, size int) *Writer {
	w := &Writer{buf: bufio.NewWriterSize(dst, size), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

// Write buffers p (one log line: slog handlers write a record at once).
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// Flush writes what the Writer holds.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Flush()
}

// Close stops the background flushes and writes what is left.
func (w *Writer) Close() error {
	close(w.stop)
	<-w.done
	return w.Flush()
}

func (w *Writer) run() {
	defer close(w.done)
	t := time.NewTicker(Interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			_ = w.Flush()
		}
	}
}

// Handler wraps h, which writes to w, so that a record at or above level
// is written out at once.
func Handler(h slog.Handler, w *Writer, level slog.Level) slog.Handler {
	return flushHandler{Handler: h, w: w, level: level}
}

type flushHandler struct {
	slog.Handler
	w     *Writer
	level slog.Level
}

func (h flushHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= h.level {
		if ferr := h.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushHandler{Handler: h.Handler.WithAttrs(attrs), w: h.w, level: h.level}
}

func (h flushHandler) WithGroup(name string) slog.Handler {
	return flushHandler{Handler: h.Handler.WithGroup(name), w: h.w, level: h.level}
}
