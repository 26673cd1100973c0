// Package audit reads and writes the audit log (platform.AuditTx) for the
// console and the command line: who did what to which object, when, from
// where, and how it ended (docs/console-api.md "Audit log"). Rows are only
// ever added; the retention purge alone deletes, past at least MinAge.
package audit

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// MinAge is the shortest time rows are kept: the retention setting may
// not go below it.
const MinAge = 180 * 24 * time.Hour

// page is how many rows one read takes when a listing is paged.
const page = 1000

// TimeLayout is how times are written in the CSV and the JSON API: CST
// with milliseconds and the offset.
const TimeLayout = "2006-01-02T15:04:05.000-07:00"

// Header is the CSV's first line.
var Header = []string{"seq", "at", "actor", "role", "addr", "action", "object", "result", "detail"}

// Add appends e in a transaction of its own.
func Add(ctx context.Context, store platform.Store, e platform.AuditEntry) error {
	return store.Update(ctx, func(tx platform.Tx) error { return tx.AddAudit(e) })
}

// Each calls fn on every entry f selects, oldest first, reading a page at
// a time so that a long log is never held whole.
func Each(ctx context.Context, store platform.Store, f platform.AuditFilter, fn func(platform.AuditEntry) error) error {
	left := f.Limit
	for {
		pf := f
		pf.Limit = page
		if left > 0 && left < page {
			pf.Limit = left
		}
		var es []platform.AuditEntry
		err := store.View(ctx, func(tx platform.Tx) (err error) {
			es, err = tx.AuditEntries(pf)
			return err
		})
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(es) < pf.Limit {
			return nil
		}
		if left > 0 {
			if left -= len(es); left == 0 {
				return nil
			}
		}
		f.AfterSeq = es[len(es)-1].Seq
	}
}

// Row is e as a CSV row in Header's order. A cell that a spreadsheet
// would take for a formula (starting with =, +, -, @, tab or CR) is
// prefixed with a quote.
func Row(e platform.AuditEntry) []string {
	cells := []string{strconv.FormatInt(e.Seq, 10), e.At.In(protocol.CST).Format(TimeLayout),
		e.Actor, e.Role, e.Addr, e.Action, e.Object, e.Result, e.Detail}
	for i, c := range cells {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) && i > 1 {
			cells[i] = "'" + c
		}
	}
	return cells
}

// WriteCSV writes Header and every entry f selects to w.
func WriteCSV(ctx context.Context, w io.Writer, store platform.Store, f platform.AuditFilter) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	err := Each(ctx, store, f, func(e platform.AuditEntry) error { return cw.Write(Row(e)) })
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// ParseTime reads a bound of a listing: RFC 3339, or a CST date and time
// as "2006-01-02 15:04:05" or "2006-01-02T15:04:05", or a CST day as
// "2006-01-02" (its start).
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{protocol.DateTimeLayout, "2006-01-02T15:04:05", protocol.DateLayout} {
		if t, err := time.ParseInLocation(layout, s, protocol.CST); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (2006-01-02, 2006-01-02 15:04:05 in CST, or RFC 3339)", s)
}

// CLIActor names the person behind a command of parkd: "cli:" and the
// system user.
func CLIActor() string {
	name := os.Getenv("SUDO_USER")
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	if name == "" {
		name = "unknown"
	}
	return "cli:" + name
}

// CLIRole and CLIAddr are the role and address of a command line's rows.
const (
	CLIRole = "cli"
	CLIAddr = "local"
)
