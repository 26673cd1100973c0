package storetest

import (
	"encoding/json"
	"testing"

	"github.com/parkd/parkd/internal/platform"
)

func parkCases() []testCase {
	return []testCase{
		{"park round trip by code and by id", testParkRoundTrip},
		{"PutPark replaces by user and park code", testParkReplace},
		{"PutPark refuses to move an isvParkId to another park", testParkConflict},
		{"ParksOf lists one account's parks by code", testParksOf},
		{"OnlineCounts counts the accounts online and their parks", testOnlineCounts},
		{"entrance round trip, replace by park and code, list by code", testEntrances},
		{"picture round trip and replace by user, park code and id", testPictures},
	}
}

func getPark(t *testing.T, s platform.Store, userID, code string) platform.Park {
	t.Helper()
	return get(t, s, func(tx platform.Tx) (platform.Park, error) { return tx.Park(userID, code) })
}

func testParkRoundTrip(t *testing.T, s platform.Store) {
	seed(t, s)
	want := newPark(u1, code2, p2)
	same(t, "Park", getPark(t, s, u1, code2), want)
	same(t, "ParkByID", get(t, s, func(tx platform.Tx) (platform.Park, error) { return tx.ParkByID(p2) }), want)
	same(t, "same code, other account", getPark(t, s, u2, code1), newPark(u2, code1, p3))
}

func testParkReplace(t *testing.T, s platform.Store) {
	seed(t, s)
	p := newPark(u1, code1, p1)
	p.Name, p.AreaCode, p.BizStatus = "Renamed", "440304", 2
	p.Reservable, p.ReservableSpaces, p.TotalSpaces = false, 0, 80
	p.Longitude, p.Latitude = 114.1, 22.6
	p.Info = json.RawMessage(`{"parkCode":"P001", "totalSpaces": 80}`)
	p.UpdatedAt = at(40)
	update(t, s, func(tx platform.Tx) error { return tx.PutPark(p) })
	same(t, "replaced park", getPark(t, s, u1, code1), p)
	same(t, "replaced park by id", get(t, s, func(tx platform.Tx) (platform.Park, error) { return tx.ParkByID(p1) }), p)
	if n := len(get(t, s, func(tx platform.Tx) ([]platform.Park, error) { return tx.ParksOf(u1) })); n != 2 {
		t.Errorf("after a replace, u1 has %d parks, want 2", n)
	}
}

func testParkConflict(t *testing.T, s platform.Store) {
	seed(t, s)
	for name, p := range map[string]platform.Park{
		"new id for an existing code": newPark(u1, code1, "isv-new"),
		"existing id for a new code":  newPark(u1, "P003", p1),
		"id of another account":       newPark(u2, code2, p2),
	} {
		err := s.Update(t.Context(), func(tx platform.Tx) error { return tx.PutPark(p) })
		if platform.KindOf(err) != platform.KindConflict {
			t.Errorf("%s: got %v, want a conflict", name, err)
		}
	}
	same(t, "park after refused puts", getPark(t, s, u1, code1), newPark(u1, code1, p1))
}

func testParksOf(t *testing.T, s platform.Store) {
	seed(t, s)
	update(t, s, func(tx platform.Tx) error { return tx.PutPark(newPark(u1, "P000", "isv-p0")) })
	want := []platform.Park{newPark(u1, "P000", "isv-p0"), newPark(u1, code1, p1), newPark(u1, code2, p2)}
	same(t, "ParksOf", get(t, s, func(tx platform.Tx) ([]platform.Park, error) { return tx.ParksOf(u1) }), want)
	if n := len(get(t, s, func(tx platform.Tx) ([]platform.Park, error) { return tx.ParksOf("u3") })); n != 0 {
		t.Errorf("ParksOf an account without parks: %d parks", n)
	}
}

func testOnlineCounts(t *testing.T, s platform.Store) {
	seed(t, s) // u1 has two parks, u2 one; both offline
	counts := func() [2]int {
		return get(t, s, func(tx platform.Tx) ([2]int, error) {
			a, p, err := tx.OnlineCounts()
			return [2]int{a, p}, err
		})
	}
	if c := counts(); c != [2]int{0, 0} {
		t.Errorf("nobody online: OnlineCounts = %v, want [0 0]", c)
	}
	update(t, s, func(tx platform.Tx) error {
		return tx.SetAccountState(platform.LivenessEvent{UserID: u1, Online: true, At: at(5), Cause: "login"})
	})
	if c := counts(); c != [2]int{1, 2} {
		t.Errorf("%s online: OnlineCounts = %v, want [1 2]", u1, c)
	}
	update(t, s, func(tx platform.Tx) error {
		return tx.SetAccountState(platform.LivenessEvent{UserID: u2, Online: true, At: at(6), Cause: "login"})
	})
	if c := counts(); c != [2]int{2, 3} {
		t.Errorf("both online: OnlineCounts = %v, want [2 3]", c)
	}
}

func newEntrance(park, code, id string) platform.Entrance {
	return platform.Entrance{
		ID: id, IsvParkID: park, Code: code,
		Info:      json.RawMessage(`{"entranceExitCode":"` + code + `"}`),
		UpdatedAt: at(3),
	}
}

func testEntrances(t *testing.T, s platform.Store) {
	seed(t, s)
	es := []platform.Entrance{newEntrance(p1, "E2", "ent-2"), newEntrance(p1, "E1", "ent-1"), newEntrance(p2, "E1", "ent-3")}
	update(t, s, func(tx platform.Tx) error {
		for _, e := range es {
			if err := tx.PutEntrance(e); err != nil {
				return err
			}
		}
		return nil
	})
	same(t, "Entrance", get(t, s, func(tx platform.Tx) (platform.Entrance, error) { return tx.Entrance(p1, "E2") }), es[0])
	e := es[1]
	e.Info, e.UpdatedAt = json.RawMessage(`{"entranceExitCode":"E1","type":2}`), at(8)
	update(t, s, func(tx platform.Tx) error { return tx.PutEntrance(e) })
	list := get(t, s, func(tx platform.Tx) ([]platform.Entrance, error) { return tx.Entrances(p1) })
	same(t, "Entrances", list, []platform.Entrance{e, es[0]})
}

func newPicture(userID, code, id string) platform.Picture {
	return platform.Picture{
		UserID: userID, ParkCode: code, ID: id,
		Hash:         "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Size:         48213,
		Kind:         "jpeg",
		FileName:     id + ".jpg",
		ImageBizType: 1,
		PickTime:     at(4),
		ReceivedAt:   at(5),
	}
}

func testPictures(t *testing.T, s platform.Store) {
	seed(t, s)
	// Pictures may arrive for a park code not reported yet.
	a, b := newPicture(u1, code1, "pic1"), newPicture(u1, "P404", "pic1")
	update(t, s, func(tx platform.Tx) error {
		if err := tx.PutPicture(a); err != nil {
			return err
		}
		return tx.PutPicture(b)
	})
	picture := func(code string) platform.Picture {
		return get(t, s, func(tx platform.Tx) (platform.Picture, error) { return tx.Picture(u1, code, "pic1") })
	}
	same(t, "picture", picture(code1), a)
	same(t, "picture of an unreported park", picture("P404"), b)
	a.Hash, a.Size, a.Kind, a.FileName, a.ImageBizType = "00ff", 70000, "png", "other.png", 2
	a.PickTime, a.ReceivedAt = at(10), at(11)
	update(t, s, func(tx platform.Tx) error { return tx.PutPicture(a) })
	same(t, "replaced picture", picture(code1), a)
}
