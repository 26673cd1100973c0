package retention_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/retention"
	"github.com/parkd/parkd/internal/sqlite"
	"github.com/parkd/parkd/internal/testkit/blobtest"
)

// Purge deletes what is past its age, in batches, and a picture file only
// when no remaining picture cites it.
func TestPurgeDeletesOnlyWhatIsPastItsAge(t *testing.T) {
	blobs, err := blob.NewFS(filepath.Join(t.TempDir(), "pictures"))
	if err != nil {
		t.Fatal(err)
	}
	testPurge(t, blobs)
}

// The same with the pictures in an S3 bucket (versitygw): an object no
// picture cites is deleted from the bucket, one still cited is kept.
func TestPurgeDeletesOrphanedS3Objects(t *testing.T) {
	g := blobtest.StartVersitygw(t)
	blobs, err := blob.NewS3(context.Background(), g.Config("pictures"))
	if err != nil {
		t.Fatal(err)
	}
	testPurge(t, blobs)
}

func testPurge(t *testing.T, blobs blob.Store) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(filepath.Join(dir, "db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	old, recent := now.Add(-48*time.Hour), now.Add(-time.Hour)
	shared, _ := blobs.Put(ctx, []byte("shared picture"))
	alone, _ := blobs.Put(ctx, []byte("old picture"))
	err = store.Update(ctx, func(tx platform.Tx) error {
		if err := tx.PutAccount(platform.Account{UserID: "u", PasswordHash: []byte("x"), CreatedAt: old}); err != nil {
			return err
		}
		p := platform.Park{IsvParkID: "p1", UserID: "u", ParkCode: "c1", Info: json.RawMessage(`{}`), CreatedAt: old, UpdatedAt: old}
		if err := tx.PutPark(p); err != nil {
			return err
		}
		for i, at := range []time.Time{old, old, old, recent} {
			v := platform.Vacancy{IsvParkID: "p1", Info: json.RawMessage(`{}`), UsedStalls: i, At: at}
			if err := tx.PutVacancy(v); err != nil {
				return err
			}
			h := platform.HistoryEntry{Object: "enter", IsvParkID: "p1", Key: "k", Old: json.RawMessage(`{}`), ChangedAt: at}
			if err := tx.AddHistory(h); err != nil {
				return err
			}
		}
		pics := []platform.Picture{
			{UserID: "u", ParkCode: "c1", ID: "a", Hash: alone, ReceivedAt: old, PickTime: old},
			{UserID: "u", ParkCode: "c1", ID: "b", Hash: shared, ReceivedAt: old, PickTime: old},
			{UserID: "u", ParkCode: "c1", ID: "c", Hash: shared, ReceivedAt: recent, PickTime: recent},
		}
		for _, pic := range pics {
			if err := tx.PutPicture(pic); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p := &retention.Purger{Store: store, Blobs: blobs, Now: func() time.Time { return now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Cfg: retention.Config{SeriesAge: 24 * time.Hour, HistoryAge: 24 * time.Hour, PictureAge: 24 * time.Hour, Batch: 2}}
	c, err := p.Purge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Series != 3 || c.History != 3 || c.Pictures != 2 || c.Blobs != 1 {
		t.Errorf("purged %+v, want 3 series, 3 history, 2 pictures, 1 file", c)
	}
	err = store.View(ctx, func(tx platform.Tx) error {
		series, err := tx.VacancySeries("p1", time.Time{}, now)
		if err != nil {
			return err
		}
		if len(series) != 1 || !series[0].At.Equal(recent) {
			t.Errorf("series left %+v, want the recent one", series)
		}
		if _, err := tx.Picture("u", "c1", "c"); err != nil {
			t.Errorf("recent picture: %v", err)
		}
		if _, err := tx.Picture("u", "c1", "a"); !platform.IsNotFound(err) {
			t.Errorf("old picture a: %v, want not found", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blobs.Get(ctx, shared); err != nil {
		t.Errorf("a file still cited was deleted: %v", err)
	}
	if _, err := blobs.Get(ctx, alone); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an orphaned file was kept: %v", err)
	}
	if c, _ := p.Purge(ctx); c != (retention.Counts{}) {
		t.Errorf("second purge deleted %+v", c)
	}
}

// The audit log is purged past AuditAge only, oldest first, in batches;
// the other ages leave it alone.
func TestPurgeKeepsTheAuditLogForItsAge(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	const day = 24 * time.Hour
	ages := []time.Duration{400 * day, 181 * day, 180*day + time.Millisecond, 180 * day, 179 * day, time.Hour}
	err = store.Update(ctx, func(tx platform.Tx) error {
		for i, age := range ages {
			e := platform.AuditEntry{At: now.Add(-age), Actor: "a", Action: "view.park", Object: string(rune('A' + i)), Result: platform.AuditOK}
			if err := tx.AddAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p := &retention.Purger{Store: store, Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler),
		Cfg: retention.Config{SeriesAge: time.Hour, HistoryAge: time.Hour, Batch: 2}}
	if c, err := p.Purge(ctx); err != nil || c.Audit != 0 {
		t.Fatalf("without AuditAge: %+v %v", c, err)
	}
	p.Cfg.AuditAge = 180 * day
	c, err := p.Purge(ctx)
	if err != nil || c.Audit != 3 {
		t.Fatalf("purged %+v %v, want 3 audit rows", c, err)
	}
	var left string
	err = store.View(ctx, func(tx platform.Tx) error {
		es, err := tx.AuditEntries(platform.AuditFilter{})
		for _, e := range es {
			left += e.Object
		}
		return err
	})
	if err != nil || left != "DEF" {
		t.Errorf("left %q %v, want the rows of 180 days and less: DEF", left, err)
	}
}
