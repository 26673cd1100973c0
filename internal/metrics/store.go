package metrics

import (
	"context"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// timedStore is a platform.Store that observes the latency of Update and
// View.
type timedStore struct {
	platform.Store
	update, view interface{ Observe(float64) }
}

// Store wraps s so that every Update and View is timed in
// parkd_store_seconds{op="update"|"view"}. Close and the transactions
// themselves are s's.
func (m *Metrics) Store(s platform.Store) platform.Store {
	return &timedStore{Store: s, update: m.storeSeconds.WithLabelValues("update"), view: m.storeSeconds.WithLabelValues("view")}
}

// Update runs fn in s's Update and observes how long it took.
func (s *timedStore) Update(ctx context.Context, fn func(tx platform.Tx) error) error {
	start := time.Now()
	err := s.Store.Update(ctx, fn)
	s.update.Observe(time.Since(start).Seconds())
	return err
}

// View runs fn in s's View and observes how long it took.
func (s *timedStore) View(ctx context.Context, fn func(tx platform.Tx) error) error {
	start := time.Now()
	err := s.Store.View(ctx, fn)
	s.view.Observe(time.Since(start).Seconds())
	return err
}
