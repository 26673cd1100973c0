package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/api"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// TestBookingsReachTheLots books through the platform's booking API: the
// platform sends the order down to the simulator, a reservable lot holds
// a space, and the reserved vehicle comes with the bookCode, which the
// platform sees as the order's arrival.
func TestBookingsReachTheLots(t *testing.T) {
	ts := testserver.Start(t, testserver.Options{Config: server.Config{PlainHTTP: true}, Clock: testserver.RealClock()})
	ts.AddAccount(t, testUser, testPassword)
	s, err := New(Config{URL: ts.URL, UserID: testUser, Password: testPassword, Lots: 10, Rate: 2, Speed: 600,
		Seed: 21, Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	lot := httptest.NewServer(&client.Receiver{Token: "sim-downlink-token", Handler: s})
	defer lot.Close()
	key, secret := accounts.NewAPIKey("sim test", time.Now())
	ctx := context.Background()
	err = ts.Store.Update(ctx, func(tx platform.Tx) error {
		a, err := tx.Account(testUser)
		if err != nil {
			return err
		}
		a.CallbackURL, a.CallbackToken = lot.URL, "sim-downlink-token"
		if err := tx.PutAccount(a); err != nil {
			return err
		}
		return tx.PutAPIKey(key)
	})
	if err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan *Summary, 1)
	go func() {
		sum, err := s.Run(runCtx)
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()

	l := reservableLot(t, s)
	var isv string
	waitFor(t, "the lot reported with its vacancy", func() bool {
		_ = ts.Store.View(ctx, func(tx platform.Tx) error {
			p, err := tx.Park(testUser, l.code)
			if err == nil {
				if _, err = tx.Vacancy(p.IsvParkID); err == nil {
					isv = p.IsvParkID
				}
			}
			return nil
		})
		return isv != ""
	})
	// bookTime is read on the platform's (real) clock: the vehicle comes
	// about three real seconds from now, whatever the speed.
	book := map[string]any{"parkId": isv, "plateNo": "粤BD86420",
		"bookTime": protocol.NewDateTime(time.Now().Add(3 * time.Second)).String()}
	resp := callBooking(t, ts, secret, http.MethodPost, "/api/v1/reservations", book)
	if resp.Code != protocol.CodeOK || len(resp.Data) == 0 {
		t.Fatalf("booking: %d %s", resp.Code, resp.Message)
	}
	code := resp.Data[0].BookCode
	var state string
	waitFor(t, "the reserved vehicle to arrive", func() bool {
		r := callBooking(t, ts, secret, http.MethodGet, "/api/v1/reservations/"+code, nil)
		if len(r.Data) == 1 {
			state = r.Data[0].State
		}
		return state == string(platform.ReservationArrived) || state == string(platform.ReservationCompleted)
	})
	stop()
	sum := <-done
	if sum == nil {
		t.FailNow()
	}
	if sum.Reservations.Accepted != 1 || sum.ReservedCame != 1 || sum.Depth != 0 {
		t.Fatalf("reservations %+v, came %d, depth %d", sum.Reservations, sum.ReservedCame, sum.Depth)
	}
}

type bookingResponse struct {
	Code    protocol.Code         `json:"code"`
	Message string                `json:"message"`
	Data    []api.ReservationView `json:"data"`
}

func callBooking(t *testing.T, ts *testserver.Server, secret, method, path string, body any) bookingResponse {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	res, err := ts.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out bookingResponse
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestAppBackEndBooksChangesAndCancels runs the simulator as both the
// vendor and the city's app back end against a real parkd whose
// reservation engine runs on its own, on the real clock: orders are booked
// through the booking API, confirmed by the lots over the downlink, some
// changed (operateType 2) and cancelled (cancelReservation), and the
// reserved vehicles come in and leave with their bookCode. The simulator's
// counts must agree with what the platform holds.
func TestAppBackEndBooksChangesAndCancels(t *testing.T) {
	ts := testserver.Start(t, testserver.Options{Config: server.Config{PlainHTTP: true}, Clock: testserver.RealClock()})
	ts.AddAccount(t, testUser, testPassword)
	key, secret := accounts.NewAPIKey("parksim app", time.Now())
	s, err := New(Config{URL: ts.URL, UserID: testUser, Password: testPassword, Lots: 10, Rate: 2, Speed: 1800,
		Duration: 16 * time.Second, Seed: 31, Dir: t.TempDir(), NoSync: true,
		APIKey: secret, BookRate: 3, ChangeShare: 0.3, CancelShare: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	lot := httptest.NewServer(&client.Receiver{Token: "sim-downlink-token", Handler: s})
	defer lot.Close()
	ctx := context.Background()
	err = ts.Store.Update(ctx, func(tx platform.Tx) error {
		a, err := tx.Account(testUser)
		if err != nil {
			return err
		}
		a.CallbackURL, a.CallbackToken = lot.URL, "sim-downlink-token"
		if err := tx.PutAccount(a); err != nil {
			return err
		}
		return tx.PutAPIKey(key)
	})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := sum.Bookings
	if b == nil {
		t.Fatal("no booking counts in the summary")
	}
	var out bytes.Buffer
	sum.Write(&out)
	t.Logf("summary:\n%s", out.String())
	if sum.Depth != 0 || b.Failed != 0 || b.Unread != 0 {
		t.Fatalf("depth %d, %d booking requests failed, %d orders unread", sum.Depth, b.Failed, b.Unread)
	}
	if b.Booked == 0 || b.Changed == 0 || b.Cancelled == 0 {
		t.Fatalf("booked %d, changed %d, cancelled %d: want some of each", b.Booked, b.Changed, b.Cancelled)
	}
	if r := sum.Reservations; r.Accepted == 0 || r.Changed == 0 || r.Cancelled == 0 {
		t.Fatalf("the lots saw %+v: want orders accepted, changed with operateType 2 and cancelled", r)
	}
	if sumStates(b.Final) != b.Booked {
		t.Fatalf("read back %v for %d orders", b.Final, b.Booked)
	}
	for _, want := range []string{"bookings (app back end):", "orders at the end (", "booked"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q", want)
		}
	}

	// What the platform holds.
	states := map[platform.ReservationState]int{}
	events := map[platform.ReservationState]int{}
	revisions := 0
	err = ts.Store.View(ctx, func(tx platform.Tx) error {
		for _, l := range s.Lots() {
			p, err := tx.Park(testUser, l.ParkCode())
			if err != nil {
				return err
			}
			rs, err := tx.ParkReservations(p.IsvParkID, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
			if err != nil {
				return err
			}
			for _, r := range rs {
				if r.ClientID != key.ID {
					t.Errorf("order %s made by %s", r.BookCode, r.ClientID)
				}
				states[r.State]++
				revisions += r.Revision - 1
				evs, err := tx.ReservationEvents(r.BookCode)
				if err != nil {
					return err
				}
				for _, e := range evs {
					events[e.To]++
				}
				// Arrival and completion come from the lot's records,
				// which carry the bookCode.
				if r.State == platform.ReservationArrived || r.State == platform.ReservationCompleted {
					if _, err := tx.RecordByBookCode(platform.KindEnter, p.IsvParkID, r.BookCode); err != nil {
						t.Errorf("order %s is %s but no entry carries its bookCode: %v", r.BookCode, r.State, err)
					}
				}
				if r.State == platform.ReservationCompleted {
					if _, err := tx.RecordByBookCode(platform.KindExit, p.IsvParkID, r.BookCode); err != nil {
						t.Errorf("order %s is completed but no exit carries its bookCode: %v", r.BookCode, err)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("platform: states %v, events by new state %v, %d changes", states, events, revisions)
	total := 0
	for _, n := range states {
		total += n
	}
	if total != b.Booked {
		t.Errorf("the platform has %d orders, the simulator booked %d", total, b.Booked)
	}
	if revisions != b.Changed {
		t.Errorf("the platform counts %d changes, the simulator made %d", revisions, b.Changed)
	}
	if states[platform.ReservationCancelled] != b.Cancelled {
		t.Errorf("the platform has %d cancelled orders, the simulator cancelled %d", states[platform.ReservationCancelled], b.Cancelled)
	}
	if events[platform.ReservationConfirmed] == 0 || states[platform.ReservationArrived]+states[platform.ReservationCompleted] == 0 ||
		states[platform.ReservationCompleted] == 0 {
		t.Errorf("want orders confirmed, arrived and completed on the platform: states %v, events %v", states, events)
	}
	// Arrived and completed do not change once the lots have stopped.
	for _, st := range []platform.ReservationState{platform.ReservationArrived, platform.ReservationCompleted} {
		if states[st] != b.Final[string(st)] {
			t.Errorf("%s: the platform has %d, the simulator read back %d", st, states[st], b.Final[string(st)])
		}
	}
	if came := sum.ReservedCame; came < states[platform.ReservationArrived]+states[platform.ReservationCompleted] {
		t.Errorf("%d reserved vehicles came, but the platform has %d orders arrived or completed", came,
			states[platform.ReservationArrived]+states[platform.ReservationCompleted])
	}
}

func sumStates(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestBookerPicksFreeUsers checks the app's choice of users and times: a
// user with an order in progress, a live order or a vehicle inside is not
// picked; returning users book again once free; bookTime is a few
// simulated minutes to an hour ahead but never under minBookingLead of
// real time.
func TestBookerPicksFreeUsers(t *testing.T) {
	for _, speed := range []float64{1, 600} {
		s := newTestSim(t, Config{Lots: 10, Seed: 2, Speed: speed, APIKey: "id.secret", ChangeShare: 0.5, CancelShare: 0.5})
		b := s.booker
		b.parks, b.weights = []bookablePark{{lot: reservableLot(t, s), isv: "isv"}}, []int{1}
		now := time.Now()
		var plans []*plan
		seen := map[string]bool{}
		for range 200 {
			p := b.draw(now)
			if p == nil {
				continue
			}
			if seen[p.user.plate.plate] {
				t.Fatalf("×%g: %s picked again while booking", speed, p.user.plate.plate)
			}
			seen[p.user.plate.plate] = true
			plans = append(plans, p)
			if p.lead < minBookingLead || speed == 1 && (p.lead < 5*time.Minute || p.lead > time.Hour) {
				t.Errorf("×%g: lead %s", speed, p.lead)
			}
			if p.cancelAt > 0 && p.cancelAt <= p.changeAt || p.cancelAt >= p.lead*3/4 {
				t.Errorf("×%g: change at %s, cancellation at %s of a %s lead", speed, p.changeAt, p.cancelAt, p.lead)
			}
		}
		if want := map[float64]int{1: 30, 600: 1}[speed]; b.obligatMinutes() != want {
			t.Errorf("×%g: obligatTime %d, want %d", speed, b.obligatMinutes(), want)
		}
		// The orders are made and live until a minute from now; one
		// user's vehicle is inside.
		for _, p := range plans {
			p.user.busy, p.user.until = false, now.Add(time.Minute)
		}
		inside := plans[0].user.plate.plate
		b.watch(inside, true)
		for range 100 {
			if p := b.draw(now.Add(30 * time.Second)); p != nil && !p.fresh {
				t.Fatalf("×%g: %s picked with a live order", speed, p.user.plate.plate)
			} else if p != nil {
				p.user.busy, p.user.until = false, now.Add(time.Minute)
			}
		}
		returning := 0
		for range 200 {
			p := b.draw(now.Add(2 * time.Minute))
			if p == nil || p.fresh {
				continue
			}
			if p.user.plate.plate == inside {
				t.Fatalf("×%g: %s picked while its vehicle is inside", speed, inside)
			}
			returning++
		}
		if returning == 0 {
			t.Errorf("×%g: no returning user booked again", speed)
		}
	}
}

func TestSummaryShowsBookings(t *testing.T) {
	sum := &Summary{Running: 10 * time.Second, BookRate: 0.5, Bookings: &BookingCounts{Tried: 9, Booked: 6,
		Refused: map[protocol.Code]int{protocol.CodeBlacklist: 2, protocol.CodeNoReservable: 1}, Changed: 1,
		ChangeRefused: map[protocol.Code]int{protocol.CodeBusiness: 1}, Cancelled: 2,
		Final: map[string]int{"completed": 3, "cancelled": 2, "expired": 1}}}
	var out bytes.Buffer
	sum.Write(&out)
	for _, want := range []string{
		"bookings (app back end): 9 tried (asked 0.5/s), 6 booked (0.60/s), 3 refused: 5005 黑名单 ×2, 1501 没有可预约车位 ×1; 1 changed (1 refused: 1 业务异常 ×1), 2 cancelled\n",
		"orders at the end (6 of 6 read back): 3 completed, 2 cancelled, 1 expired\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRefusalReasonsAndHints(t *testing.T) {
	id := strings.Repeat("a1", 16)
	if got := refusalReason(protocol.CodeNoReservable, "没有可预约车位: parkId (park "+id+" has no reservation downlink)"); got != "1501 没有可预约车位: parkId (park … has no reservation downlink)" {
		t.Errorf("reason = %q", got)
	}
	if got := refusalReason(protocol.CodeBookTime, ""); got != "5004 预约时间有误" {
		t.Errorf("reason without a message = %q", got)
	}
	c := BookingCounts{Reservable: 3, Why: map[string]int{
		refusalReason(protocol.CodeNoReservable, "没有可预约车位: parkId (park "+id+" has no reservation downlink)"): 4,
		refusalReason(protocol.CodeBusiness, "业务异常: parkId (park "+id+" is offline)"):                         2,
		refusalReason(protocol.CodeExists, "对象已存在: plateNo (the plate has a live order)"):                     1,
	}}
	hints := c.BookingHints("lot9")
	if len(hints) != 2 || !strings.Contains(hints[0], "4 bookings") || !strings.Contains(hints[0], "parkd account set-callback --data DIR --user-id lot9") ||
		!strings.Contains(hints[1], "2 bookings") || !strings.Contains(hints[1], "not online") {
		t.Errorf("hints = %q", hints)
	}
	if hints := (BookingCounts{}).BookingHints("lot9"); len(hints) != 1 || !strings.Contains(hints[0], "no simulated lot that takes reservations") {
		t.Errorf("hints with no reservable lot = %q", hints)
	}
}
