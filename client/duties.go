package client

import (
	"context"
	"log/slog"
	"time"

	"github.com/parkd/parkd/protocol"
)

// Timer is the clock the scheduled duties run on; tests inject one.
type Timer interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realTimer struct{}

func (realTimer) Now() time.Time                         { return time.Now() }
func (realTimer) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Duties runs a parking system's scheduled reports: the plate list of
// every park at the top of each hour (parkCarInfo, clause 6.6.1) and, at
// 24:00 CST, the pull of the day's replenish list (replenishCarInfo,
// clause 6.6.2), walking all its pages.
type Duties struct {
	Client *Client
	// Parks returns the park codes to report for.
	Parks func() []string
	// PlatesInside returns the plates in a park now.
	PlatesInside func(parkCode string) ([]string, error)
	// Replenish receives the plates whose records of day must be
	// re-reported; the parking system then re-sends their entries and exits.
	Replenish func(parkCode string, day time.Time, plates []string)
	// Timer defaults to the wall clock.
	Timer Timer
	Log   *slog.Logger
}

// NextHour returns the next top of an hour strictly after t.
func NextHour(t time.Time) time.Time { return t.Truncate(time.Hour).Add(time.Hour) }

// NextMidnight returns the next 24:00 CST strictly after t.
func NextMidnight(t time.Time) time.Time {
	c := t.In(protocol.CST)
	y, m, d := c.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, protocol.CST)
}

// Run performs the duties until ctx ends.
func (d *Duties) Run(ctx context.Context) {
	tm := d.timer()
	for {
		now := tm.Now()
		next := NextHour(now)
		select {
		case <-ctx.Done():
			return
		case <-tm.After(next.Sub(now)):
		}
		d.Hourly(ctx)
		if next.Equal(NextMidnight(next.Add(-time.Second))) {
			d.Daily(ctx, next.Add(-time.Hour))
		}
	}
}

func (d *Duties) timer() Timer {
	if d.Timer == nil {
		return realTimer{}
	}
	return d.Timer
}

func (d *Duties) log() *slog.Logger {
	if d.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Log
}

// Hourly sends every park's plate list now.
func (d *Duties) Hourly(ctx context.Context) {
	for _, park := range d.Parks() {
		plates, err := d.PlatesInside(park)
		if err != nil {
			d.log().Warn("plate list", "park", park, "err", err)
			continue
		}
		item := protocol.ParkCarInfo{ParkCode: park, PlateNoList: protocol.JoinPlates(plates)}
		if _, err := d.Client.ParkCarInfo(ctx, item); err != nil {
			d.log().Warn("parkCarInfo", "park", park, "err", err)
		}
	}
}

// Daily pulls every park's replenish list for the CST date of day and
// hands the plates to Replenish.
func (d *Duties) Daily(ctx context.Context, day time.Time) {
	for _, park := range d.Parks() {
		plates, err := d.Client.ReplenishAll(ctx, park, day)
		if err != nil {
			d.log().Warn("replenishCarInfo", "park", park, "err", err)
			continue
		}
		if d.Replenish != nil {
			d.Replenish(park, day, plates)
		}
	}
}
