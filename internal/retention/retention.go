// Package retention purges old data in the background: the vacancy time
// series, change history, data-quality warnings, hourly verifications and
// pictures older than a configurable age. It deletes in small batches, each
// its own short transaction, so ingestion is never held up for long.
package retention

import (
	"context"
	"log/slog"
	"time"

	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/platform"
)

// Config sets what is kept. Zero ages keep everything.
type Config struct {
	// SeriesAge bounds the vacancy series, warnings and verifications.
	SeriesAge time.Duration
	// HistoryAge bounds the change history of records, parks, entrances
	// and pictures.
	HistoryAge time.Duration
	// PictureAge bounds pictures (metadata and, when no other picture
	// cites it, the file).
	PictureAge time.Duration
	// AuditAge bounds the audit log (the server refuses less than 180
	// days; zero keeps it all).
	AuditAge time.Duration
	// Every is the period of a purge (default 10 min); Batch the rows per
	// transaction (default 500).
	Every time.Duration
	Batch int
}

// Purger deletes what is older than the configured ages.
type Purger struct {
	Store platform.Store
	Blobs blob.Store
	Cfg   Config
	Now   platform.Clock
	Log   *slog.Logger
}

// Counts reports what one purge deleted.
type Counts struct {
	Series, History, Warnings, Verifications, Pictures, Blobs, Audit int
}

// Run purges every Cfg.Every until ctx ends.
func (p *Purger) Run(ctx context.Context) {
	every := p.Cfg.Every
	if every <= 0 {
		every = 10 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c, err := p.Purge(ctx)
			if err != nil && ctx.Err() == nil {
				p.Log.Error("retention", "err", err)
			} else if c != (Counts{}) {
				p.Log.Info("retention purged", "series", c.Series, "history", c.History, "warnings", c.Warnings,
					"verifications", c.Verifications, "pictures", c.Pictures, "blobs", c.Blobs, "audit", c.Audit)
			}
		}
	}
}

// Purge deletes everything past its age now.
func (p *Purger) Purge(ctx context.Context) (Counts, error) {
	var c Counts
	now := p.Now()
	steps := []struct {
		age   time.Duration
		n     *int
		purge func(platform.Tx, time.Time, int) (int, error)
	}{
		{p.Cfg.SeriesAge, &c.Series, platform.Tx.PurgeVacancySeries},
		{p.Cfg.SeriesAge, &c.Warnings, platform.Tx.PurgeWarnings},
		{p.Cfg.SeriesAge, &c.Verifications, platform.Tx.PurgeVerifications},
		{p.Cfg.HistoryAge, &c.History, platform.Tx.PurgeHistory},
		{p.Cfg.AuditAge, &c.Audit, platform.Tx.PurgeAudit},
	}
	for _, s := range steps {
		if s.age <= 0 {
			continue
		}
		n, err := p.batches(ctx, now.Add(-s.age), s.purge)
		*s.n += n
		if err != nil {
			return c, err
		}
	}
	if p.Cfg.PictureAge > 0 {
		pics, blobs, err := p.purgePictures(ctx, now.Add(-p.Cfg.PictureAge))
		c.Pictures, c.Blobs = pics, blobs
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

func (p *Purger) batch() int {
	if p.Cfg.Batch <= 0 {
		return 500
	}
	return p.Cfg.Batch
}

// batches repeats purge in transactions of one batch each until a batch
// comes back short.
func (p *Purger) batches(ctx context.Context, before time.Time, purge func(platform.Tx, time.Time, int) (int, error)) (int, error) {
	total := 0
	for {
		var n int
		err := p.Store.Update(ctx, func(tx platform.Tx) error {
			var err error
			n, err = purge(tx, before, p.batch())
			return err
		})
		total += n
		if err != nil || n < p.batch() {
			return total, err
		}
	}
}

// purgePictures deletes old pictures, then the files no picture cites any
// more. A file is deleted only after the rows are committed, so a crash
// between the two leaves a stray file, never a row without its file.
func (p *Purger) purgePictures(ctx context.Context, before time.Time) (int, int, error) {
	pics, blobs := 0, 0
	for {
		var orphans []string
		var n int
		err := p.Store.Update(ctx, func(tx platform.Tx) error {
			old, err := tx.OldPictures(before, p.batch())
			if err != nil {
				return err
			}
			n = len(old)
			hashes := map[string]bool{}
			for _, pic := range old {
				if err := tx.DeletePicture(pic.UserID, pic.ParkCode, pic.ID); err != nil {
					return err
				}
				hashes[pic.Hash] = true
			}
			for h := range hashes {
				used, err := tx.PictureHashInUse(h)
				if err != nil {
					return err
				}
				if !used {
					orphans = append(orphans, h)
				}
			}
			return nil
		})
		if err != nil {
			return pics, blobs, err
		}
		pics += n
		for _, h := range orphans {
			if err := p.Blobs.Delete(ctx, h); err != nil {
				p.Log.Warn("retention: deleting a picture file", "hash", h, "err", err)
				continue
			}
			blobs++
		}
		if n < p.batch() {
			return pics, blobs, nil
		}
	}
}
