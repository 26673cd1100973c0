package api

import (
	"testing"
	"time"
)

// TestSettingsSnapshotFreshness: the shared snapshot of the accounts'
// settings is good for cryptoCacheFor after its read, and also for a
// caller whose time was taken just before the read (it waited for the
// lock meanwhile); only a clock set back by a whole window, or a snapshot
// that old, makes it stale.
func TestSettingsSnapshotFreshness(t *testing.T) {
	at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		offset time.Duration
		want   bool
	}{
		{0, true},
		{cryptoCacheFor - time.Millisecond, true},
		{cryptoCacheFor, false},
		{-time.Second, true},
		{-cryptoCacheFor, false},
	} {
		if got := fresh(at, at.Add(c.offset)); got != c.want {
			t.Errorf("fresh(at, at%+v) = %v, want %v", c.offset, got, c.want)
		}
	}
}
