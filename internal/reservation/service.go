// Package reservation runs reserved parking (预约停车, clause 6.5) on the
// platform side: booking with the checks of docs/protocol.md §9, the durable
// downlink queue that sends `reservation` and `cancelReservation` to the
// lot (§8), the FIFO waitlist per park, arrival and completion from the
// lot's records, no-show expiry with the blacklist rule, and the
// reservation-linked rules of the replenish list (§5).
package reservation

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Config sets the rules and timing of reservations. Zero fields take the
// defaults.
type Config struct {
	// NoShowLimit no-shows within NoShowWindow blacklist a plate for
	// BlacklistFor (defaults 3, 30 days, 30 days; docs/protocol.md §9). A negative
	// NoShowLimit turns the rule off.
	NoShowLimit  int
	NoShowWindow time.Duration
	BlacklistFor time.Duration
	// DefaultObligat is obligatTime when a booking gives none (30 min).
	DefaultObligat int
	// MaxAdvance is how far ahead bookTime may be (default 7 days).
	MaxAdvance time.Duration
	// RetryMin and RetryMax bound the backoff of downlink retries
	// (defaults 1 s and 1 min).
	RetryMin, RetryMax time.Duration
	// SendTimeout bounds one downlink call (default 10 s).
	SendTimeout time.Duration
	// Workers is how many downlink calls may be in flight (default 16).
	Workers int
	// Lease is how long a claimed dispatch is held before another sender
	// may take it again (default 30 s; longer than SendTimeout).
	Lease time.Duration
	// Tick is the period of the expiry sweep and of queue polling
	// (default 1 s).
	Tick time.Duration
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.NoShowLimit == 0 {
		c.NoShowLimit = 3
	}
	def(&c.NoShowWindow, 30*24*time.Hour)
	def(&c.BlacklistFor, 30*24*time.Hour)
	if c.DefaultObligat <= 0 {
		c.DefaultObligat = 30
	}
	def(&c.MaxAdvance, 7*24*time.Hour)
	def(&c.RetryMin, time.Second)
	def(&c.RetryMax, time.Minute)
	def(&c.SendTimeout, 10*time.Second)
	if c.Workers <= 0 {
		c.Workers = 16
	}
	def(&c.Lease, 30*time.Second)
	def(&c.Tick, time.Second)
	return c
}

// Service is the reservation engine.
type Service struct {
	store platform.Store
	now   platform.Clock
	log   *slog.Logger
	cfg   Config
	http  *http.Client
	wake  chan struct{}
}

// New returns a Service. client carries the downlink calls (nil: a client
// with the configured timeout).
func New(store platform.Store, now platform.Clock, cfg Config, client *http.Client, log *slog.Logger) *Service {
	cfg = cfg.withDefaults()
	if client == nil {
		client = &http.Client{Timeout: cfg.SendTimeout}
	}
	return &Service{store: store, now: now, log: log, cfg: cfg, http: client, wake: make(chan struct{}, 1)}
}

// Config returns the configuration with defaults applied.
func (s *Service) Config() Config { return s.cfg }

// notify wakes the dispatcher.
func (s *Service) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// transition moves r to state to, records the event and stores r.
func transition(tx platform.Tx, r *platform.Reservation, to platform.ReservationState, at time.Time, cause string) error {
	from := r.State
	r.State, r.UpdatedAt = to, at
	if to != platform.ReservationWaitlisted {
		r.WaitSeq = 0
	}
	if err := tx.PutReservation(*r); err != nil {
		return err
	}
	return tx.AddReservationEvent(platform.ReservationEvent{BookCode: r.BookCode, At: at, From: from, To: to, Cause: cause})
}

// Run dispatches the queue and sweeps expiries until ctx ends.
func (s *Service) Run(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.dispatchLoop(ctx)
	}()
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			<-done
			return
		case <-t.C:
			if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("reservation sweep", "err", err)
			}
		}
	}
}
