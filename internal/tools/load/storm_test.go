package load

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
	"golang.org/x/crypto/bcrypt"
)

// addAccounts creates prefix0 .. prefix(n-1) with one cheap hash.
func addAccounts(t *testing.T, store platform.Store, prefix, password string, n int) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(protocol.PasswordDigest(password)), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	err = store.Update(context.Background(), func(tx platform.Tx) error {
		for i := range n {
			if err := tx.PutAccount(platform.Account{UserID: prefix + strconv.Itoa(i), PasswordHash: hash, CreatedAt: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A storm of lots sharing two vendor accounts, in two phases over one
// directory: every lot is back, every item of the backlog is delivered
// in a few requests per lot (not one per item), and every record is in
// the platform's database exactly once.
func TestStormDeliversEveryRecordOnce(t *testing.T) {
	ts := startParkd(t)
	addAccounts(t, ts.Store, "vendor", "Storm@2024", 2)
	cfg := StormConfig{URL: ts.URL, Prefix: "vendor", Password: "Storm@2024", Lots: 6, Vendors: 2, Down: time.Hour,
		VisitsPerHour: 30, Interval: time.Hour, Dir: t.TempDir(), HTTPClient: ts.Client, Timeout: time.Minute}
	cfg.Phase = "prepare"
	prep, err := RunStorm(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := prep.Produced
	if p.Entries < 6*20 || p.Exits == 0 || p.Pictures == 0 || p.Items != p.Entries+p.Exits+p.Pictures+p.Vacancies {
		t.Fatalf("backlog %+v: want about 30 visits an hour per lot, with exits and pictures", p)
	}
	cfg.Phase = "drain"
	cfg.DB = filepath.Join(ts.Config.DataDir, "parkd.db")
	rep, err := RunStorm(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.LoggedIn != 6 || rep.Drained != 6 || rep.Sent != uint64(p.Items) || rep.Rejected != 0 {
		t.Fatalf("report %+v (first error %q)", rep, rep.FirstError)
	}
	if rep.StoredEntries != int64(p.Entries) || rep.StoredExits != int64(p.Exits) || rep.Replaced != 0 {
		t.Errorf("stored %d entries, %d exits, %d replaced; want %d, %d, 0", rep.StoredEntries, rep.StoredExits, rep.Replaced, p.Entries, p.Exits)
	}
	// One request per picture and a few per other interface and lot.
	if max := uint64(p.Pictures + 6*8); rep.Requests > max {
		t.Errorf("%d requests for %d items, want at most %d", rep.Requests, p.Items, max)
	}
}
