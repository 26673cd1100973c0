package api

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestReadAll checks that readAll returns every byte whatever the hint:
// none, short, exact, long or over the body limit, through reads of one
// byte, and passes a read error on.
func TestReadAll(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 3000)
	for _, hint := range []int64{-1, 0, 1, 100, int64(len(data)), int64(len(data)) + 1, 1 << 30} {
		for name, r := range map[string]io.Reader{
			"whole":    bytes.NewReader(data),
			"one byte": iotest.OneByteReader(bytes.NewReader(data)),
		} {
			got, err := readAll(r, hint)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("hint %d, %s: %d bytes, %v; want %d bytes", hint, name, len(got), err, len(data))
			}
		}
	}
	boom := errors.New("boom")
	if _, err := readAll(io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom)), 10); !errors.Is(err, boom) {
		t.Errorf("read error: got %v, want %v", err, boom)
	}
}
