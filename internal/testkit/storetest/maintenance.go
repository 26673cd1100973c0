package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

func maintenanceCases() []testCase {
	return []testCase{
		{"a lease has one holder until it expires, renews, and is free once released", testLeases},
		{"leases of different names are independent", testLeaseNames},
		{"a lease taken by a failing Update is not kept", testLeaseRollback},
		{"Lock serialises the read-modify-writes of concurrent Updates", testLockSerialises},
		{"PurgeVacancySeries deletes the oldest reports before the bound, up to a limit", testPurgeVacancySeries},
		{"PurgeHistory deletes the oldest entries before the bound, up to a limit", testPurgeHistory},
		{"PurgeWarnings deletes the oldest warnings before the bound, up to a limit", testPurgeWarnings},
		{"PurgeVerifications deletes the oldest verifications before the bound, up to a limit", testPurgeVerifications},
		{"OldPictures are those received before the bound, oldest first, up to a limit", testOldPictures},
		{"DeletePicture removes one picture; PictureHashInUse follows the pictures left", testDeletePicture},
		{"View rejects every maintenance write", testViewRejectsMaintenance},
	}
}

// acquire runs AcquireLease in its own Update and returns its answer.
func acquire(t *testing.T, s platform.Store, name, holder string, now, until time.Time) bool {
	t.Helper()
	var ok bool
	update(t, s, func(tx platform.Tx) (err error) {
		ok, err = tx.AcquireLease(name, holder, now, until)
		return err
	})
	return ok
}

// release runs ReleaseLease in its own Update.
func release(t *testing.T, s platform.Store, name, holder string) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error { return tx.ReleaseLease(name, holder) })
}

func testLeases(t *testing.T, s platform.Store) {
	const lease = "sweep"
	steps := []struct {
		what       string
		holder     string
		now, until time.Time
		want       bool
	}{
		{"a takes the free lease", "a", at(0), at(10), true},
		{"b is refused while a holds it", "b", at(5), at(15), false},
		{"a renews", "a", at(6), at(20), true},
		{"b is refused past a's first term: the renewal extended it", "b", at(12), at(30), false},
		{"a renews again, to an earlier end", "a", at(13), at(18), true},
		{"b takes it once a's term has ended (until == now)", "b", at(18), at(40), true},
		{"a is refused while b holds it", "a", at(19), at(25), false},
		{"a takes it once b's term is long over", "a", at(41), at(50), true},
	}
	for _, st := range steps {
		if got := acquire(t, s, lease, st.holder, st.now, st.until); got != st.want {
			t.Errorf("%s: AcquireLease(%q, %q) = %v, want %v", st.what, lease, st.holder, got, st.want)
		}
	}

	// Releasing a lease someone else holds, or one no one holds, does
	// nothing and is no error.
	release(t, s, lease, "b")
	release(t, s, "never-taken", "a")
	if acquire(t, s, lease, "b", at(42), at(60)) {
		t.Error("b took the lease after releasing a lease a holds")
	}
	// Once a releases, b takes it at once, long before a's term ends.
	release(t, s, lease, "a")
	if !acquire(t, s, lease, "b", at(43), at(60)) {
		t.Error("b was refused a released lease")
	}
	if acquire(t, s, lease, "a", at(44), at(60)) {
		t.Error("a took the lease b holds")
	}
	// Releasing twice is no error.
	release(t, s, lease, "b")
	release(t, s, lease, "b")
	if !acquire(t, s, lease, "a", at(45), at(60)) {
		t.Error("a was refused a lease released twice")
	}
}

func testLeaseNames(t *testing.T, s platform.Store) {
	if !acquire(t, s, "sweep", "a", at(0), at(10)) {
		t.Fatal("a was refused a free lease")
	}
	if !acquire(t, s, "dispatch", "b", at(1), at(10)) {
		t.Error("b was refused a lease of another name than a's")
	}
	// One transaction may hold several leases.
	var ok1, ok2 bool
	update(t, s, func(tx platform.Tx) (err error) {
		if ok1, err = tx.AcquireLease("retention", "a", at(2), at(10)); err != nil {
			return err
		}
		ok2, err = tx.AcquireLease("sweep", "a", at(2), at(12))
		return err
	})
	if !ok1 || !ok2 {
		t.Errorf("a taking a new lease and renewing another in one transaction: %v, %v", ok1, ok2)
	}
	release(t, s, "sweep", "a")
	if acquire(t, s, "dispatch", "c", at(3), at(10)) || acquire(t, s, "retention", "c", at(3), at(10)) {
		t.Error("releasing one lease freed another")
	}
	if !acquire(t, s, "sweep", "c", at(3), at(10)) {
		t.Error("c was refused the released lease")
	}
}

func testLeaseRollback(t *testing.T, s platform.Store) {
	errBoom := errors.New("boom")
	err := s.Update(context.Background(), func(tx platform.Tx) error {
		ok, err := tx.AcquireLease("sweep", "a", at(0), at(10))
		if err != nil || !ok {
			return fmt.Errorf("AcquireLease = %v, %v", ok, err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update = %v, want %v", err, errBoom)
	}
	if !acquire(t, s, "sweep", "b", at(1), at(10)) {
		t.Error("a lease taken by a failed Update was kept")
	}
	// A release in a failing Update is not kept either.
	err = s.Update(context.Background(), func(tx platform.Tx) error {
		if err := tx.ReleaseLease("sweep", "b"); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update = %v, want %v", err, errBoom)
	}
	if acquire(t, s, "sweep", "a", at(2), at(10)) {
		t.Error("a release by a failed Update was kept")
	}
}

// testLockSerialises runs concurrent Updates that each lock a key, read a
// counter and write it back incremented: no increment may be lost. A
// store whose write transactions interleave loses some unless Lock
// serialises them.
func testLockSerialises(t *testing.T, s platform.Store) {
	seed(t, s)
	putVacancies(t, s, newVacancy(p1, 0, 0))
	const n = 24
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := s.Update(context.Background(), func(tx platform.Tx) error {
				key := "park:" + p1
				if err := tx.Lock(key); err != nil {
					return err
				}
				// Locking a key again, or another key, is allowed.
				if err := tx.Lock(key); err != nil {
					return err
				}
				if err := tx.Lock(fmt.Sprintf("plate:粤B%05d", i)); err != nil {
					return err
				}
				// Any string is a key, NUL and invalid UTF-8 included.
				if err := tx.Lock("park-code:vendor\x00" + p1 + "\xff"); err != nil {
					return err
				}
				v, err := tx.Vacancy(p1)
				if err != nil {
					return err
				}
				return tx.PutVacancy(newVacancy(p1, v.UsedStalls+1, i+1))
			})
			if err != nil {
				t.Errorf("Update %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	v := get(t, s, func(tx platform.Tx) (platform.Vacancy, error) { return tx.Vacancy(p1) })
	if v.UsedStalls != n {
		t.Errorf("counter after %d locked increments = %d", n, v.UsedStalls)
	}
}

// purgeMinutes are the times, in minutes after t0, of the rows the purge
// tests store, in the order they store them: out of time order, with a
// tie at 3.
var purgeMinutes = []int{5, 1, 3, 3, 2, 8, 4}

// purgeCase describes one purged table: put stores row i at minute m,
// left returns the minutes of the rows left, purge purges.
type purgeCase struct {
	put   func(tx platform.Tx, i, minute int) error
	left  func(tx platform.Tx) ([]time.Time, error)
	purge func(tx platform.Tx, before time.Time, limit int) (int, error)
}

// testPurge stores the rows of purgeMinutes and purges them step by step,
// checking the count deleted and the rows left after each step.
func testPurge(t *testing.T, s platform.Store, c purgeCase) {
	seed(t, s)
	update(t, s, func(tx platform.Tx) error {
		for i, m := range purgeMinutes {
			if err := c.put(tx, i, m); err != nil {
				return err
			}
		}
		return nil
	})
	steps := []struct {
		before, limit int
		deleted       int
		left          []int
	}{
		{1, 0, 0, []int{1, 2, 3, 3, 4, 5, 8}}, // nothing is before the oldest
		{4, 2, 2, []int{3, 3, 4, 5, 8}},       // a limit deletes the oldest first
		{4, 1, 1, []int{3, 4, 5, 8}},          // one of a tie
		{4, 0, 1, []int{4, 5, 8}},             // a limit of 0 is no limit
		{4, 0, 0, []int{4, 5, 8}},             // nothing left before the bound
		{6, 5, 2, []int{8}},                   // a limit beyond what there is
		{60, -1, 1, nil},                      // a negative limit is no limit
		{60, 0, 0, nil},                       // an empty table
		{-60, 0, 0, nil},                      // a bound before everything
		{1 << 20, 1 << 30, 0, nil},            // large bounds
	}
	for _, st := range steps {
		var deleted int
		update(t, s, func(tx platform.Tx) (err error) {
			deleted, err = c.purge(tx, at(st.before), st.limit)
			return err
		})
		if deleted != st.deleted {
			t.Errorf("purge before %d, limit %d: deleted %d, want %d", st.before, st.limit, deleted, st.deleted)
		}
		times := get(t, s, c.left)
		var left []int
		for _, tm := range times {
			left = append(left, int(tm.Sub(t0)/time.Minute))
		}
		slices.Sort(left)
		same(t, fmt.Sprintf("minutes left after purging before %d, limit %d", st.before, st.limit), left, st.left)
	}
}

// purgePark spreads the purged rows over two parks: purges are not per
// park.
func purgePark(i int) string {
	if i%2 == 0 {
		return p1
	}
	return p2
}

func testPurgeVacancySeries(t *testing.T, s platform.Store) {
	var live platform.Vacancy
	testPurge(t, s, purgeCase{
		put: func(tx platform.Tx, i, minute int) error {
			v := newVacancy(purgePark(i), i, minute)
			if v.IsvParkID == p1 {
				live = v
			}
			return tx.PutVacancy(v)
		},
		left: func(tx platform.Tx) ([]time.Time, error) {
			var out []time.Time
			for _, park := range []string{p1, p2} {
				vs, err := tx.VacancySeries(park, at(-1000), at(1000))
				if err != nil {
					return nil, err
				}
				for _, v := range vs {
					out = append(out, v.At)
				}
			}
			return out, nil
		},
		purge: func(tx platform.Tx, before time.Time, limit int) (int, error) {
			return tx.PurgeVacancySeries(before, limit)
		},
	})
	// The live value stays.
	same(t, "live vacancy after purging the series",
		get(t, s, func(tx platform.Tx) (platform.Vacancy, error) { return tx.Vacancy(p1) }), live)
}

// historyKey is the object, park and key of history entry i: entries of
// several objects, parks and keys, and of no park.
func historyKey(i int) (object, park, key string) {
	switch i % 3 {
	case 0:
		return "enter", p1, "r1"
	case 1:
		return "park", p2, code2
	}
	return "picture", "", "pic1"
}

func testPurgeHistory(t *testing.T, s platform.Store) {
	testPurge(t, s, purgeCase{
		put: func(tx platform.Tx, i, minute int) error {
			object, park, key := historyKey(i)
			return tx.AddHistory(platform.HistoryEntry{Object: object, IsvParkID: park, Key: key,
				Old: []byte(fmt.Sprintf(`{"v":%d}`, i)), ChangedAt: at(minute)})
		},
		left: func(tx platform.Tx) ([]time.Time, error) {
			var out []time.Time
			for i := range 3 {
				hs, err := tx.History(historyKey(i))
				if err != nil {
					return nil, err
				}
				for _, h := range hs {
					out = append(out, h.ChangedAt)
				}
			}
			return out, nil
		},
		purge: func(tx platform.Tx, before time.Time, limit int) (int, error) {
			return tx.PurgeHistory(before, limit)
		},
	})
}

func testPurgeWarnings(t *testing.T, s platform.Store) {
	parks := []string{p1, p2, ""}
	testPurge(t, s, purgeCase{
		put: func(tx platform.Tx, i, minute int) error {
			return tx.AddWarning(platform.Warning{IsvParkID: parks[i%3], UserID: u1, Kind: "plate-format",
				Detail: fmt.Sprint(i), At: at(minute)})
		},
		left: func(tx platform.Tx) ([]time.Time, error) {
			var out []time.Time
			for _, park := range parks {
				ws, err := tx.Warnings(park, 0)
				if err != nil {
					return nil, err
				}
				for _, w := range ws {
					out = append(out, w.At)
				}
			}
			return out, nil
		},
		purge: func(tx platform.Tx, before time.Time, limit int) (int, error) {
			return tx.PurgeWarnings(before, limit)
		},
	})
}

func testPurgeVerifications(t *testing.T, s platform.Store) {
	testPurge(t, s, purgeCase{
		put: func(tx platform.Tx, i, minute int) error {
			// The hours run against the times: the purge goes by At.
			v := newVerification(purgePark(i), 100-i)
			v.At = at(minute)
			return tx.PutVerification(v)
		},
		left: func(tx platform.Tx) ([]time.Time, error) {
			var out []time.Time
			for _, park := range []string{p1, p2} {
				vs, err := tx.Verifications(park, at(-100000), at(100000))
				if err != nil {
					return nil, err
				}
				for _, v := range vs {
					out = append(out, v.At)
				}
			}
			return out, nil
		},
		purge: func(tx platform.Tx, before time.Time, limit int) (int, error) {
			return tx.PurgeVerifications(before, limit)
		},
	})
}

// putPictures stores ps in one Update.
func putPictures(t *testing.T, s platform.Store, ps ...platform.Picture) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, p := range ps {
			if err := tx.PutPicture(p); err != nil {
				return err
			}
		}
		return nil
	})
}

// receivedAt returns p received at minute m, with the blob hash.
func receivedAt(p platform.Picture, m int, hash string) platform.Picture {
	p.ReceivedAt, p.Hash = at(m), hash
	return p
}

func testOldPictures(t *testing.T, s platform.Store) {
	seed(t, s)
	const h = "aa"
	// In time order: b (1), then the tie at 3 by key: u1/P001/c,
	// u1/P002/a, u2/P001/a, then d (5) and e (9).
	b := receivedAt(newPicture(u1, code1, "b"), 1, h)
	t3a := receivedAt(newPicture(u1, code1, "c"), 3, h)
	t3b := receivedAt(newPicture(u1, code2, "a"), 3, h)
	t3c := receivedAt(newPicture(u2, code1, "a"), 3, h)
	d := receivedAt(newPicture(u2, "P404", "d"), 5, h)
	e := receivedAt(newPicture(u1, code1, "e"), 9, h)
	putPictures(t, s, e, t3c, d, t3a, b, t3b)

	old := func(before, limit int) []platform.Picture {
		return get(t, s, func(tx platform.Tx) ([]platform.Picture, error) { return tx.OldPictures(at(before), limit) })
	}
	same(t, "pictures before 5", old(5, 0), []platform.Picture{b, t3a, t3b, t3c})
	same(t, "pictures before 5, limit 2", old(5, 2), []platform.Picture{b, t3a})
	same(t, "pictures before 10, limit -1", old(10, -1), []platform.Picture{b, t3a, t3b, t3c, d, e})
	same(t, "pictures before 10, limit 100", old(10, 100), []platform.Picture{b, t3a, t3b, t3c, d, e})
	if got := old(1, 0); len(got) != 0 {
		t.Errorf("pictures before the first: %d", len(got))
	}
	// A replaced picture is as old as its last receipt.
	b2 := receivedAt(b, 7, h)
	putPictures(t, s, b2)
	same(t, "pictures before 8 after a replace", old(8, 0), []platform.Picture{t3a, t3b, t3c, d, b2})
}

func testDeletePicture(t *testing.T, s platform.Store) {
	seed(t, s)
	a := receivedAt(newPicture(u1, code1, "a"), 1, "h1")
	b := receivedAt(newPicture(u1, code2, "a"), 2, "h1") // same id in another park, same blob
	c := receivedAt(newPicture(u2, code1, "c"), 3, "h2")
	putPictures(t, s, a, b, c)
	inUse := func(hash string) bool {
		return get(t, s, func(tx platform.Tx) (bool, error) { return tx.PictureHashInUse(hash) })
	}
	for hash, want := range map[string]bool{"h1": true, "h2": true, "h3": false, "": false} {
		if got := inUse(hash); got != want {
			t.Errorf("PictureHashInUse(%q) = %v, want %v", hash, got, want)
		}
	}

	update(t, s, func(tx platform.Tx) error { return tx.DeletePicture(u1, code1, "a") })
	notFound(t, "deleted picture", s.View(context.Background(), func(tx platform.Tx) error {
		_, err := tx.Picture(u1, code1, "a")
		return err
	}))
	same(t, "picture of the same id in another park",
		get(t, s, func(tx platform.Tx) (platform.Picture, error) { return tx.Picture(u1, code2, "a") }), b)
	if !inUse("h1") {
		t.Error("a blob still cited by a picture is not in use")
	}

	// Deleting what is not there is not found, and changes nothing.
	for _, key := range [][3]string{{u1, code1, "a"}, {u2, code2, "a"}, {"nobody", code1, "c"}, {u2, code1, "x"}} {
		notFound(t, fmt.Sprintf("DeletePicture%q", key), s.Update(context.Background(), func(tx platform.Tx) error {
			return tx.DeletePicture(key[0], key[1], key[2])
		}))
	}

	update(t, s, func(tx platform.Tx) error { return tx.DeletePicture(u1, code2, "a") })
	if inUse("h1") {
		t.Error("a blob no picture cites is in use")
	}
	if !inUse("h2") {
		t.Error("another blob is no longer in use")
	}
	same(t, "pictures left", get(t, s, func(tx platform.Tx) ([]platform.Picture, error) { return tx.OldPictures(at(100), 0) }),
		[]platform.Picture{c})

	// A delete in a failing Update is not kept.
	errBoom := errors.New("boom")
	err := s.Update(context.Background(), func(tx platform.Tx) error {
		if err := tx.DeletePicture(u2, code1, "c"); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update = %v, want %v", err, errBoom)
	}
	if !inUse("h2") {
		t.Error("a picture deleted by a failed Update is gone")
	}
}

func testViewRejectsMaintenance(t *testing.T, s platform.Store) {
	seed(t, s)
	if !acquire(t, s, "sweep", "a", at(0), at(10)) {
		t.Fatal("a was refused a free lease")
	}
	putVacancies(t, s, newVacancy(p1, 1, 1))
	putVerifications(t, s, newVerification(p1, 0))
	putPictures(t, s, receivedAt(newPicture(u1, code1, "a"), 1, "h1"))
	update(t, s, func(tx platform.Tx) error {
		if err := tx.AddWarning(platform.Warning{IsvParkID: p1, Kind: "k", At: at(1)}); err != nil {
			return err
		}
		return tx.AddHistory(platform.HistoryEntry{Object: "enter", IsvParkID: p1, Key: "r1", ChangedAt: at(1)})
	})

	far := at(100000)
	writes := map[string]func(tx platform.Tx) error{
		"AcquireLease new": func(tx platform.Tx) error {
			_, err := tx.AcquireLease("other", "b", at(1), at(10))
			return err
		},
		"AcquireLease renew": func(tx platform.Tx) error {
			_, err := tx.AcquireLease("sweep", "a", at(1), at(20))
			return err
		},
		"ReleaseLease":       func(tx platform.Tx) error { return tx.ReleaseLease("sweep", "a") },
		"Lock":               func(tx platform.Tx) error { return tx.Lock("park:" + p1) },
		"PurgeVacancySeries": func(tx platform.Tx) error { _, err := tx.PurgeVacancySeries(far, 0); return err },
		"PurgeHistory":       func(tx platform.Tx) error { _, err := tx.PurgeHistory(far, 0); return err },
		"PurgeWarnings":      func(tx platform.Tx) error { _, err := tx.PurgeWarnings(far, 0); return err },
		"PurgeVerifications": func(tx platform.Tx) error { _, err := tx.PurgeVerifications(far, 0); return err },
		"DeletePicture":      func(tx platform.Tx) error { return tx.DeletePicture(u1, code1, "a") },
	}
	for name, write := range writes {
		if err := s.View(context.Background(), write); err == nil {
			t.Errorf("%s in View succeeded", name)
		}
	}

	// Nothing changed: a holds the lease until 10 as before, "other" is
	// free, and every row is there.
	if acquire(t, s, "sweep", "b", at(9), at(30)) {
		t.Error("a's lease was released in a View")
	}
	if !acquire(t, s, "sweep", "b", at(10), at(30)) {
		t.Error("a's lease was renewed in a View")
	}
	if !acquire(t, s, "other", "c", at(2), at(10)) {
		t.Error("a lease was taken in a View")
	}
	view(t, s, func(tx platform.Tx) error {
		if vs, err := tx.VacancySeries(p1, at(0), far); err != nil || len(vs) != 1 {
			t.Errorf("vacancy series after purging in a View: %d, %v", len(vs), err)
		}
		if hs, err := tx.History("enter", p1, "r1"); err != nil || len(hs) != 1 {
			t.Errorf("history after purging in a View: %d, %v", len(hs), err)
		}
		if ws, err := tx.Warnings(p1, 0); err != nil || len(ws) != 1 {
			t.Errorf("warnings after purging in a View: %d, %v", len(ws), err)
		}
		if vs, err := tx.Verifications(p1, at(-1000), far); err != nil || len(vs) != 1 {
			t.Errorf("verifications after purging in a View: %d, %v", len(vs), err)
		}
		if _, err := tx.Picture(u1, code1, "a"); err != nil {
			t.Errorf("picture after deleting it in a View: %v", err)
		}
		return nil
	})

	// Reads are fine in a View.
	view(t, s, func(tx platform.Tx) error {
		if ps, err := tx.OldPictures(far, 0); err != nil || len(ps) != 1 {
			t.Errorf("OldPictures in a View: %d, %v", len(ps), err)
		}
		if used, err := tx.PictureHashInUse("h1"); err != nil || !used {
			t.Errorf("PictureHashInUse in a View: %v, %v", used, err)
		}
		return nil
	})

	// And a Tx kept past its function refuses maintenance too.
	var kept platform.Tx
	update(t, s, func(tx platform.Tx) error { kept = tx; return nil })
	if err := kept.Lock("park:" + p1); err == nil {
		t.Error("Lock through an Update's Tx after it returned succeeded")
	}
	if _, err := kept.AcquireLease("late", "a", at(1), at(10)); err == nil {
		t.Error("AcquireLease through an Update's Tx after it returned succeeded")
	}
}
