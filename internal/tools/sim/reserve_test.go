package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/protocol"
)

// reservableLot returns the first lot that takes reservations.
func reservableLot(t *testing.T, s *Sim) *Lot {
	t.Helper()
	for _, l := range s.lots {
		if l.Info().Reservable == protocol.Yes {
			return l
		}
	}
	t.Fatal("no reservable lot among", len(s.lots))
	return nil
}

func order(l *Lot, code string, at time.Time) protocol.Reservation {
	return protocol.Reservation{ParkCode: l.code, BookCode: code, PlateNo: "粤B" + code[len(code)-5:],
		BookTime: protocol.NewDateTime(at.Add(30 * time.Minute)), OverTime: protocol.NewDateTime(at.Add(2 * time.Hour)),
		ObligatTime: 30, BookType: protocol.BookCheckSpace, SpaceType: protocol.SpaceOrdinary, OperateType: protocol.OperateBook}
}

func bookCode(i int) string { return fmt.Sprintf("bk%030d", i) }

func TestReservationsAreAnsweredFromVacancy(t *testing.T) {
	s := newTestSim(t, Config{Lots: 10, Seed: 1})
	ctx := context.Background()
	now := time.Now()
	l := reservableLot(t, s)
	quota := l.Info().ReservableSpaces
	for i := range quota {
		if err := s.Reserve(ctx, order(l, bookCode(i), now)); err != nil {
			t.Fatalf("order %d of %d: %v", i+1, quota, err)
		}
	}
	if err := s.Reserve(ctx, order(l, bookCode(quota), now)); protocol.CodeOf(err) != protocol.CodeNoReservable {
		t.Fatalf("order beyond the %d reservable spaces: %v, want 1501", quota, err)
	}
	if err := s.Reserve(ctx, order(l, bookCode(0), now)); protocol.CodeOf(err) != protocol.CodeBookExists {
		t.Fatalf("repeated bookCode: %v, want 1201", err)
	}
	change := order(l, bookCode(1), now)
	change.OperateType, change.PlateNo = protocol.OperateChange, "粤BD12345"
	if err := s.Reserve(ctx, change); err != nil {
		t.Fatalf("change of a held order: %v", err)
	}
	v := l.pendingVacancy()
	if len(v) != 1 {
		t.Fatalf("no vacancy report after reservations")
	}
	info := v[0].value.(protocol.ParkSpaceInfo)
	if info.ReservedStalls != quota || info.UnusedReservableStalls != 0 || info.UnusedStalls != l.Info().TotalSpaces-quota {
		t.Fatalf("vacancy %+v after %d holds", info, quota)
	}

	if err := s.Cancel(ctx, protocol.CancelReservation{ParkCode: l.code, BookCode: bookCode(0)}); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if err := s.Cancel(ctx, protocol.CancelReservation{ParkCode: l.code, BookCode: bookCode(0)}); err != nil {
		t.Fatalf("cancel again: %v", err)
	}
	if err := s.Reserve(ctx, order(l, bookCode(quota+1), now)); err != nil {
		t.Fatalf("order after a cancellation freed a space: %v", err)
	}
	if err := s.Cancel(ctx, protocol.CancelReservation{ParkCode: l.code, BookCode: bookCode(999)}); protocol.CodeOf(err) != protocol.CodeNoReservation {
		t.Fatalf("cancel of an unknown order: %v, want 1104", err)
	}
	other := order(l, bookCode(1000), now)
	other.ParkCode = unreported(l.code)
	if err := s.Reserve(ctx, other); protocol.CodeOf(err) != protocol.CodeNoPark {
		t.Fatalf("order for another park: %v, want 1101", err)
	}
	c := s.summary(client.Stats{}, nil).Reservations
	if c.Accepted != quota+1 || c.Changed != 1 || c.NoSpace != 1 || c.Repeated != 1 || c.Cancelled != 1 || c.Unknown != 2 {
		t.Fatalf("counts %+v", c)
	}
}

func TestReservationRefusedWhenTheLotIsFull(t *testing.T) {
	now := time.Date(2024, 1, 1, 8, 0, 0, 0, protocol.CST)
	s := newTestSim(t, Config{Lots: 10, Seed: 1, Start: now})
	l := reservableLot(t, s)
	l.begin(now)
	l.mu.Lock()
	for i := range l.Info().TotalSpaces - 1 {
		v := l.newVehicle(l.rng, now, plateKind{plate: fmt.Sprintf("粤B%05d", i)}, "")
		l.inside[v.id] = v
	}
	l.mu.Unlock()
	ctx := context.Background()
	if err := s.Reserve(ctx, order(l, bookCode(1), now)); err != nil {
		t.Fatalf("last free space: %v", err)
	}
	if err := s.Reserve(ctx, order(l, bookCode(2), now)); protocol.CodeOf(err) != protocol.CodeNoReservable {
		t.Fatalf("full lot: %v, want 1501", err)
	}
	// A walk-in finds no space either: the held one is kept.
	l.mu.Lock()
	l.nextArr = now.Add(time.Second)
	l.mu.Unlock()
	for l.State().TurnedAway == 0 {
		l.step()
		if st := l.State(); st.Inside+st.Held > st.Total {
			t.Fatalf("a vehicle entered a full lot: %+v", st)
		}
	}
	// The reserved vehicle comes (or the hold lapses) and the lot stays
	// within its capacity.
	for l.State().Held > 0 {
		l.step()
	}
	if st := l.State(); st.Inside > st.Total {
		t.Fatalf("%+v", st)
	}
}

func TestReceiverAnswersReservationsOverHTTP(t *testing.T) {
	s := newTestSim(t, Config{Lots: 10, Seed: 1})
	l := reservableLot(t, s)
	srv := httptest.NewServer(&client.Receiver{Token: "downlink-token", Handler: s})
	defer srv.Close()
	post := func(code protocol.Interface, token string, item any) protocol.Response {
		t.Helper()
		data, _ := json.Marshal([]any{item})
		body, _ := json.Marshal(protocol.Request{Timestamp: time.Now().UnixMilli(), Sign: protocol.Sign(data), Version: protocol.Version, Data: data})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+code.Path(), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out protocol.Response
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	now := time.Now()
	if r := post(protocol.ReservationCode, "wrong", order(l, bookCode(1), now)); r.Code != protocol.CodeToken {
		t.Fatalf("wrong token: code %d", r.Code)
	}
	r := post(protocol.ReservationCode, "downlink-token", order(l, bookCode(1), now))
	if r.Code != protocol.CodeOK || !bytes.Contains(r.Data, []byte(bookCode(1))) {
		t.Fatalf("reservation: %d %s %s", r.Code, r.Message, r.Data)
	}
	if r := post(protocol.ReservationCode, "downlink-token", order(l, bookCode(1), now)); r.Code != protocol.CodeBookExists {
		t.Fatalf("repeated: %d %s", r.Code, r.Message)
	}
	for i := 2; i <= l.Info().ReservableSpaces; i++ {
		if r := post(protocol.ReservationCode, "downlink-token", order(l, bookCode(i), now)); r.Code != protocol.CodeOK {
			t.Fatalf("order %d: %d %s", i, r.Code, r.Message)
		}
	}
	if r := post(protocol.ReservationCode, "downlink-token", order(l, bookCode(9999), now)); r.Code != protocol.CodeNoReservable {
		t.Fatalf("no space: %d %s", r.Code, r.Message)
	}
	if r := post(protocol.CancelCode, "downlink-token", protocol.CancelReservation{ParkCode: l.code, BookCode: bookCode(1)}); r.Code != protocol.CodeOK {
		t.Fatalf("cancel: %d %s", r.Code, r.Message)
	}
	if r := post(protocol.ReservationCode, "downlink-token", order(l, bookCode(9999), now)); r.Code != protocol.CodeOK {
		t.Fatalf("after the cancellation: %d %s", r.Code, r.Message)
	}
}

// TestReservedVehicleComesAroundBookTime checks the mapping of the
// platform's (real) times to the simulated clock: at any speed the
// vehicle comes around bookTime, a no-show's hold lapses at bookTime +
// obligatTime, and a change (operateType 2) reschedules the vehicle.
func TestReservedVehicleComesAroundBookTime(t *testing.T) {
	platformNow := time.Date(2026, 3, 2, 9, 0, 0, 0, protocol.CST)
	simNow := time.Date(2024, 1, 1, 8, 0, 0, 0, protocol.CST)
	yes, no := true, false
	for _, tc := range []struct {
		speed       float64
		lead        time.Duration // real, to bookTime
		early, late time.Duration // real
		early2      time.Duration // real, after the change doubles the lead
	}{
		{speed: 1, lead: 30 * time.Minute, early: 7*time.Minute + 30*time.Second, late: 10 * time.Minute, early2: 10 * time.Minute},
		{speed: 600, lead: 10 * time.Second, early: time.Second, late: time.Second, early2: time.Second},
		{speed: 3600, lead: 8 * time.Second, early: 10 * time.Minute / 3600, late: 10 * time.Minute / 3600, early2: 10 * time.Minute / 3600},
	} {
		s := newTestSim(t, Config{Lots: 10, Seed: 1, Speed: tc.speed})
		l := reservableLot(t, s)
		sim := func(real time.Duration) time.Time { return simNow.Add(time.Duration(float64(real) * tc.speed)) }
		r := order(l, bookCode(1), platformNow)
		r.BookTime = protocol.NewDateTime(platformNow.Add(tc.lead))
		if _, err := l.reserve(r, simNow, platformNow, &yes); err != nil {
			t.Fatal(err)
		}
		b := l.bookings[r.BookCode]
		if from, to := sim(tc.lead-tc.early), sim(tc.lead+tc.late); b.at.Before(from) || b.at.After(to) {
			t.Errorf("×%g: the vehicle comes at %s, want between %s and %s", tc.speed, b.at, from, to)
		}

		// A change to a later bookTime moves the vehicle too.
		change := r
		change.OperateType, change.BookTime = protocol.OperateChange, protocol.NewDateTime(platformNow.Add(2*tc.lead))
		if changed, err := l.reserve(change, simNow, platformNow, nil); err != nil || !changed {
			t.Fatalf("change: %v, %v", changed, err)
		}
		if from, to := sim(2*tc.lead-tc.early2), sim(2*tc.lead+tc.late); b.at.Before(from) || b.at.After(to) {
			t.Errorf("×%g: after the change the vehicle comes at %s, want between %s and %s", tc.speed, b.at, from, to)
		}
		if l.books[0] != b {
			t.Errorf("the changed order is not the lot's next")
		}

		noShow := order(l, bookCode(2), platformNow)
		noShow.BookTime = protocol.NewDateTime(platformNow.Add(tc.lead))
		if _, err := l.reserve(noShow, simNow, platformNow, &no); err != nil {
			t.Fatal(err)
		}
		if at, want := l.bookings[noShow.BookCode].at, sim(tc.lead+time.Duration(noShow.ObligatTime)*time.Minute); !at.Equal(want) {
			t.Errorf("×%g: a no-show's hold lapses at %s, want %s (bookTime + obligatTime)", tc.speed, at, want)
		}
	}
}
