package audit_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/audit"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlite"
	"github.com/parkd/parkd/protocol"
)

func TestRowKeepsSpreadsheetsFromRunningCells(t *testing.T) {
	e := platform.AuditEntry{Seq: 7, At: time.Date(2024, 1, 1, 0, 0, 0, 5e6, time.UTC), Actor: "=cmd|' /C calc'!A0",
		Role: "admin", Addr: "-1", Action: "view.park", Object: "+park", Result: "ok", Detail: "@SUM(1)"}
	want := []string{"7", "2024-01-01T08:00:00.005+08:00", "'=cmd|' /C calc'!A0", "admin", "'-1", "view.park", "'+park", "ok", "'@SUM(1)"}
	if got := audit.Row(e); !slices.Equal(got, want) {
		t.Errorf("row\n got  %q\n want %q", got, want)
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2024-01-02":                time.Date(2024, 1, 2, 0, 0, 0, 0, protocol.CST),
		"2024-01-02 03:04:05":       time.Date(2024, 1, 2, 3, 4, 5, 0, protocol.CST),
		"2024-01-02T03:04:05":       time.Date(2024, 1, 2, 3, 4, 5, 0, protocol.CST),
		"2024-01-02T03:04:05Z":      time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		"2024-01-02T03:04:05+08:00": time.Date(2024, 1, 2, 3, 4, 5, 0, protocol.CST),
	} {
		if got, err := audit.ParseTime(in); err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2024-13-01", "01/02/2024"} {
		if _, err := audit.ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) succeeded", bad)
		}
	}
}

// Each and WriteCSV read the log a page at a time: every row once, in
// order, and a limit stops them.
func TestEachPagesThroughTheLog(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 2345
	err = store.Update(ctx, func(tx platform.Tx) error {
		for i := range n {
			e := platform.AuditEntry{At: t0.Add(time.Duration(i) * time.Second), Actor: []string{"a", "b"}[i%2],
				Action: "view.park", Result: platform.AuditOK}
			if err := tx.AddAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	count := func(f platform.AuditFilter) (int, bool) {
		var seqs []int64
		err := audit.Each(ctx, store, f, func(e platform.AuditEntry) error { seqs = append(seqs, e.Seq); return nil })
		if err != nil {
			t.Fatal(err)
		}
		return len(seqs), slices.IsSorted(seqs) && len(slices.Compact(slices.Clone(seqs))) == len(seqs)
	}
	for _, c := range []struct {
		f    platform.AuditFilter
		want int
	}{
		{platform.AuditFilter{}, n}, {platform.AuditFilter{Actor: "b"}, n / 2}, {platform.AuditFilter{Limit: 1500}, 1500},
		{platform.AuditFilter{Limit: 1000}, 1000}, {platform.AuditFilter{Since: t0.Add(2000 * time.Second)}, n - 2000},
	} {
		if got, ok := count(c.f); got != c.want || !ok {
			t.Errorf("%+v: %d rows (in order, once: %v), want %d", c.f, got, ok, c.want)
		}
	}
	var buf bytes.Buffer
	if err := audit.WriteCSV(ctx, &buf, store, platform.AuditFilter{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != n+1 || !slices.Equal(rows[0], audit.Header) {
		t.Errorf("CSV: %d rows, %v", len(rows), err)
	}
}
