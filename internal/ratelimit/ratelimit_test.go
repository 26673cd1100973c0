package ratelimit

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)

func TestNewOff(t *testing.T) {
	for _, r := range []float64{0, -1} {
		l := New(r, 5)
		if l != nil {
			t.Fatalf("New(%v) = %v, want nil", r, l)
		}
		if ok, wait := l.Allow("a", t0); !ok || wait != 0 {
			t.Errorf("nil Allow = %v, %v; want true, 0", ok, wait)
		}
	}
}

func TestAllowLimitsEachKey(t *testing.T) {
	tests := []struct {
		name      string
		rate      float64
		burst     int
		wantBurst int
		wantWait  time.Duration
	}{
		{"default burst is twice the rate", 2, 0, 4, 500 * time.Millisecond},
		{"default burst is at least 1", 0.1, 0, 1, 10 * time.Second},
		{"explicit burst", 10, 3, 3, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(tt.rate, tt.burst)
			for i := range tt.wantBurst {
				if ok, _ := l.Allow("a", t0); !ok {
					t.Fatalf("request %d of the burst refused", i+1)
				}
			}
			ok, wait := l.Allow("a", t0)
			if ok || wait != tt.wantWait {
				t.Fatalf("request past the burst = %v, %v; want false, %v", ok, wait, tt.wantWait)
			}
			// The refused request took nothing: one wait later there is a token.
			if ok, _ := l.Allow("a", t0.Add(wait)); !ok {
				t.Errorf("refused after waiting %v", wait)
			}
			// Another key has its own bucket.
			if ok, _ := l.Allow("b", t0); !ok {
				t.Errorf("key b refused by key a's bucket")
			}
		})
	}
}

func TestAllowForgetsIdleKeys(t *testing.T) {
	l := New(1, 1)
	l.Allow("idle", t0)
	l.Allow("busy", t0)
	l.Allow("busy", t0.Add(Idle/2))
	if n := len(l.buckets); n != 2 {
		t.Fatalf("%d buckets, want 2", n)
	}
	// Within Idle of the last sweep nothing is swept.
	l.Allow("busy", t0.Add(Idle))
	if _, ok := l.buckets["idle"]; !ok {
		t.Fatalf("idle bucket swept before Idle passed")
	}
	// Past Idle the next request sweeps the idle key but keeps the busy one.
	l.Allow("other", t0.Add(Idle+time.Second))
	if _, ok := l.buckets["idle"]; ok {
		t.Errorf("bucket idle for more than Idle kept")
	}
	if _, ok := l.buckets["busy"]; !ok {
		t.Errorf("bucket seen within Idle swept")
	}
	// A forgotten key starts again with a full bucket.
	if ok, _ := l.Allow("idle", t0.Add(Idle+time.Second)); !ok {
		t.Errorf("forgotten key refused")
	}
}
