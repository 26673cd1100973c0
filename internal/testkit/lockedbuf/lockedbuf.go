// Package lockedbuf provides a bytes.Buffer that one goroutine may write
// while another reads it: what tests use to watch a server's log.
package lockedbuf

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer guarded by a mutex. The zero value is empty
// and ready for use.
type Buffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed, and replaced, by each Write; nil until waited on
}

// Write appends p to the buffer and wakes those waiting in Wait.
func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.written != nil {
		close(l.written)
		l.written = nil
	}
	return l.b.Write(p)
}

// String returns a copy of what has been written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Wait returns what has been written once ok holds of it, looking again
// after each Write, or reports false (with what was written) when stop
// is closed first. A nil stop waits for as long as the test runs: a test
// waits for an event, not for a time.
func (l *Buffer) Wait(stop <-chan struct{}, ok func(string) bool) (string, bool) {
	for {
		l.mu.Lock()
		s := l.b.String()
		if l.written == nil {
			l.written = make(chan struct{})
		}
		written := l.written
		l.mu.Unlock()
		if ok(s) {
			return s, true
		}
		select {
		case <-written:
		case <-stop:
			return l.String(), false
		}
	}
}
