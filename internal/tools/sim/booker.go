package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parkd/parkd/protocol"
)

// The app back end. With Config.APIKey the simulator also plays the
// city's parking app: its users book spaces in the reservable lots through
// the platform's booking API (POST /api/v1/reservations), some change
// the bookTime later (PATCH) or cancel (DELETE), and the platform sends
// the orders down to the lots, which hold a space and let the reserved
// vehicle in around bookTime with the bookCode on its entry and exit
// (Reserve, Lot.schedule). At the end every order's state is read back
// (GET) and counted.
//
// The platform checks bookTime against its own clock, which runs at real
// speed whatever Config.Speed is, so the booker works in real time: a
// booking is for a few simulated minutes to an hour ahead, that is that
// much real time divided by Speed, but never less than minBookingLead of
// real time (the platform needs a moment to send the order down), and its
// obligatTime is half a simulated hour, but at least one minute.

const (
	// minBookingLead is the least real time between a booking and its
	// bookTime.
	minBookingLead = 5 * time.Second
	// bookingMargin is how long after an order ends (as far as the
	// simulator can tell: its vehicle left, or bookTime + obligatTime
	// passed) its user waits before booking again, for the platform to
	// learn it (the exit is still in the outbox, the expiry sweep has not
	// run): the platform refuses a plate with a live order (1200).
	bookingMargin = 15 * time.Second
	// returningShare is the share of bookings made by users who booked
	// before (when one is free).
	returningShare = 0.5
	// bookingWorkers bounds the booking API requests in flight.
	bookingWorkers = 8
	// finalReadLimit and finalReadTimeout bound the read-back at the end:
	// the most recent orders, up to the limit, within the timeout.
	finalReadLimit   = 2000
	finalReadTimeout = 30 * time.Second
)

// States in life-cycle order, as the booking API names them.
var orderStates = []string{"pending", "dispatched", "waitlisted", "confirmed", "arrived", "completed", "cancelled", "expired", "rejected"}

// BookingCounts are what the simulated app back end did through the
// booking API, and what became of its orders.
type BookingCounts struct {
	// Tried is the bookings attempted; Booked those the platform took
	// (code 0); Refused the others by code.
	Tried, Booked int
	Refused       map[protocol.Code]int
	// Why counts the refused bookings by the reason the platform gave
	// (its message, park ids left out), e.g. that the lots' account has
	// no reservation downlink.
	Why map[string]int
	// Reservable is the simulated lots that take reservations and whose
	// park report the platform took: the lots bookings go to.
	Reservable int
	// Changed is the changes (PATCH with a later bookTime) the platform
	// took; ChangeRefused the others by code.
	Changed       int
	ChangeRefused map[protocol.Code]int
	// Cancelled is the cancellations (DELETE) the platform took;
	// CancelRefused the others by code.
	Cancelled     int
	CancelRefused map[protocol.Code]int
	// Failed is the requests that got no answer envelope (network errors,
	// timeouts).
	Failed int
	// Final counts the orders by the state read back at the end; Unread
	// is the orders not read (over the limit, or the read failed).
	Final  map[string]int
	Unread int
}

func (c BookingCounts) clone() BookingCounts {
	c.Refused, c.ChangeRefused, c.CancelRefused = cloneCodeMap(c.Refused), cloneCodeMap(c.ChangeRefused), cloneCodeMap(c.CancelRefused)
	c.Why = maps.Clone(c.Why)
	if c.Final != nil {
		f := make(map[string]int, len(c.Final))
		for k, v := range c.Final {
			f[k] = v
		}
		c.Final = f
	}
	return c
}

func cloneCodeMap(m map[protocol.Code]int) map[protocol.Code]int {
	out := make(map[protocol.Code]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// booker is the simulated app back end.
type booker struct {
	s                *Sim
	key              string
	base             string
	hc               *http.Client
	rate             float64
	changeP, cancelP float64
	speed            float64
	sem              chan struct{}
	parks            []bookablePark // the reservable lots, set by start
	weights          []int

	mu      sync.Mutex
	rng     *rand.Rand
	users   map[string]*appUser // by plate
	pool    []*appUser
	intents map[string]bool // by plate: whether the vehicle of the user's latest order comes
	orders  []string        // bookCodes, in booking order
	counts  BookingCounts
}

// bookablePark is a reservable lot and its isvParkId.
type bookablePark struct {
	lot *Lot
	isv string
}

// appUser is a user of the app, with a car.
type appUser struct {
	plate plateKind
	color protocol.CarColor
	flaky bool // comes one time in two; the others nineteen in twenty
	// busy: a booking, change or cancellation is being made.
	busy bool
	// inside: the reserved vehicle is in a lot.
	inside bool
	// until is the real time before which the user's last order may still
	// be live on the platform.
	until time.Time
}

// plan is one booking and what its user does afterwards; times are real.
type plan struct {
	user     *appUser
	fresh    bool // a new user, not yet in the pool
	park     bookablePark
	lead     time.Duration // from the booking to bookTime
	obligat  int           // minutes
	comes    bool
	changeAt time.Duration // after the booking; 0 = no change
	postpone time.Duration // the change moves bookTime this much later
	cancelAt time.Duration // after the booking; 0 = no cancellation
}

func newBooker(s *Sim, hc *http.Client) *booker {
	cfg := s.cfg
	return &booker{s: s, key: cfg.APIKey, base: strings.TrimRight(cfg.URL, "/"), hc: hc, rate: cfg.BookRate,
		changeP: cfg.ChangeShare, cancelP: cfg.CancelShare, speed: cfg.Speed, sem: make(chan struct{}, bookingWorkers),
		rng:   rand.New(rand.NewPCG(uint64(cfg.Seed)^0x61707062, 0x626f6f6b696e6721)),
		users: map[string]*appUser{}, intents: map[string]bool{},
		counts: BookingCounts{Refused: map[protocol.Code]int{}, Why: map[string]int{}, ChangeRefused: map[protocol.Code]int{},
			CancelRefused: map[protocol.Code]int{}}}
}

// obligatMinutes is the obligatTime of the bookings: half a simulated
// hour, at least a real minute.
func (b *booker) obligatMinutes() int {
	return int(min(max(math.Round(30/b.speed), 1), 30))
}

// start learns the isvParkId of every reservable lot by reporting the
// lots directly (parkInfo is idempotent; the outbox reports them again
// with everything else) and checks the API key.
func (b *booker) start(ctx context.Context) error {
	var lots []*Lot
	for _, l := range b.s.lots {
		if l.Info().Reservable == protocol.Yes && l.Info().ReservableSpaces > 0 {
			lots = append(lots, l)
		}
	}
	for chunk := range slices.Chunk(lots, protocol.DefaultMaxItems) {
		infos := make([]protocol.ParkInfo, len(chunk))
		for i, l := range chunk {
			infos[i] = l.Info()
		}
		resp, err := b.s.client.ParkInfo(ctx, infos...)
		if err != nil {
			return fmt.Errorf("sim: reporting the reservable lots for bookings: %w", err)
		}
		isv := map[string]string{}
		for _, r := range resp {
			isv[r.ParkCode] = r.IsvParkID
		}
		for _, l := range chunk {
			if id := isv[l.code]; id != "" {
				b.parks = append(b.parks, bookablePark{lot: l, isv: id})
				b.weights = append(b.weights, l.Info().ReservableSpaces)
			}
		}
	}
	b.mu.Lock()
	b.counts.Reservable = len(b.parks)
	b.mu.Unlock()
	// A harmless query tells whether the key works.
	_, code, msg, err := b.call(ctx, http.MethodGet, "/api/v1/reservations?plateNo="+url.QueryEscape("粤B00000"), nil)
	if err != nil {
		return fmt.Errorf("sim: the booking API: %w", err)
	}
	if code != protocol.CodeOK {
		return fmt.Errorf("sim: the booking API refused the key: %d %s", int(code), msg)
	}
	return nil
}

// run books at the configured rate until stop, then waits for the
// bookings' follow-ups in flight (those still waiting are dropped).
func (b *booker) run(stop <-chan struct{}) {
	if len(b.parks) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		b.mu.Lock()
		gap := time.Duration(min(b.rng.ExpFloat64()/b.rate, 365*24*3600) * float64(time.Second))
		b.mu.Unlock()
		timer.Reset(gap)
		select {
		case <-stop:
			cancel()
			return
		case <-timer.C:
		}
		p := b.draw(time.Now())
		if p == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.follow(ctx, p)
		}()
	}
}

// draw makes the next booking's plan: a lot (by its reservable spaces),
// a user with no vehicle inside and no live order (a returning one half
// the time, else a new one), and the times. The numbers come from the
// booker's own generator, seeded by Seed; which returning users are free
// depends on how the run goes, so two runs with one seed are alike
// rather than identical.
func (b *booker) draw(now time.Time) *plan {
	b.mu.Lock()
	p := &plan{park: b.parks[pickWeighted(b.rng, b.weights)], obligat: b.obligatMinutes()}
	returning := b.rng.Float64() < returningShare
	if returning && len(b.pool) > 0 {
		for range 4 {
			u := b.pool[b.rng.IntN(len(b.pool))]
			if !u.busy && !u.inside && now.After(u.until) {
				p.user = u
				break
			}
		}
	}
	fresh := &appUser{plate: newPlate(b.rng), color: carColor(b.rng), flaky: b.rng.IntN(10) == 0}
	// bookTime a few simulated minutes to an hour ahead, in real time.
	simLead := time.Duration((5 + 55*b.rng.Float64()) * float64(time.Minute))
	p.lead = time.Duration(float64(simLead) / b.speed)
	if u := b.rng.Float64(); p.lead < minBookingLead {
		p.lead = minBookingLead + time.Duration(u*float64(minBookingLead))
	}
	p.lead = p.lead.Round(time.Second)
	comes := b.rng.Float64()
	// A change comes at 20-40% of the lead and moves bookTime a quarter
	// to a whole lead later; a cancellation at 45-60%, after any change
	// and before the vehicle is due (the lot lets it in no earlier than
	// three quarters of the time left before bookTime).
	change, changeAt, postpone := b.rng.Float64() < b.changeP, 0.2+0.2*b.rng.Float64(), 0.25+0.75*b.rng.Float64()
	cancel, cancelAt := b.rng.Float64() < b.cancelP, 0.45+0.15*b.rng.Float64()
	if change {
		p.changeAt = time.Duration(changeAt * float64(p.lead))
		p.postpone = max(time.Duration(postpone*float64(p.lead)).Round(time.Second), time.Second)
	}
	if cancel {
		p.cancelAt = time.Duration(cancelAt * float64(p.lead))
	}
	if p.user == nil {
		if b.users[fresh.plate.plate] != nil || len(b.users) >= 100_000 {
			b.mu.Unlock()
			return nil // (a plate drawn twice: rare)
		}
		p.user, p.fresh = fresh, true
	}
	u := p.user
	p.comes = comes < 0.95
	if u.flaky {
		p.comes = comes < 0.5
	}
	u.busy = true
	b.counts.Tried++
	b.mu.Unlock()

	if p.fresh {
		inside := b.s.plateInside(u.plate.plate)
		b.mu.Lock()
		defer b.mu.Unlock()
		if inside || b.users[u.plate.plate] != nil {
			b.counts.Tried--
			return nil
		}
		b.users[u.plate.plate] = u
		b.pool = append(b.pool, u)
	}
	return p
}

// bookingBody is a booking as the booking API takes it.
type bookingBody struct {
	ParkID      string              `json:"parkId"`
	PlateNo     string              `json:"plateNo"`
	BookTime    string              `json:"bookTime"`
	ObligatTime int                 `json:"obligatTime"`
	CarModel    protocol.CarModel   `json:"carModel"`
	CarColor    protocol.CarColor   `json:"carColor"`
	PlateColor  protocol.PlateColor `json:"plateColor"`
	BookType    protocol.BookType   `json:"bookType"`
	SpaceType   protocol.SpaceType  `json:"spaceType"`
}

// orderView is what the simulator reads of an order the booking API
// shows.
type orderView struct {
	BookCode string `json:"bookCode"`
	State    string `json:"state"`
}

// follow books p, then changes and cancels it when p says so, unless ctx
// ends first. A request once started is not cut short when ctx ends, so
// that what the simulator counts is what the platform did.
func (b *booker) follow(ctx context.Context, p *plan) {
	req := context.WithoutCancel(ctx)
	u := p.user
	t0 := time.Now()
	bookTime := b.s.platformNow().Add(p.lead)
	if whole := bookTime.Truncate(time.Second); whole.Before(bookTime) {
		bookTime = whole.Add(time.Second) // a DateTime has whole seconds: round up, never under the lead
	}
	holdEnd := t0.Add(p.lead + time.Second + time.Duration(p.obligat)*time.Minute) // local real time
	body := bookingBody{ParkID: p.park.isv, PlateNo: u.plate.plate, ObligatTime: p.obligat,
		CarModel: u.plate.carModel, CarColor: u.color, PlateColor: u.plate.plateColor}
	body.BookTime = protocol.NewDateTime(bookTime).String()

	b.mu.Lock()
	b.intents[u.plate.plate] = p.comes
	b.mu.Unlock()
	v, code, msg, err := b.call(req, http.MethodPost, "/api/v1/reservations", body)
	b.mu.Lock()
	u.busy = false
	switch {
	case err != nil:
		b.counts.Failed++
		u.until = holdEnd.Add(bookingMargin) // it may have been booked
	case code == protocol.CodeBlacklist:
		b.counts.Refused[code]++
		b.counts.Why[refusalReason(code, msg)]++
		u.until = time.Now().Add(30 * 24 * time.Hour) // the app tells the user to stop trying
	case code == protocol.CodeExists:
		b.counts.Refused[code]++
		b.counts.Why[refusalReason(code, msg)]++
		u.until = time.Now().Add(bookingMargin) // an earlier order is still live
	case code != protocol.CodeOK:
		b.counts.Refused[code]++
		b.counts.Why[refusalReason(code, msg)]++
	default:
		b.counts.Booked++
		b.orders = append(b.orders, v.BookCode)
		u.until = holdEnd.Add(bookingMargin)
	}
	b.mu.Unlock()
	if err != nil || code != protocol.CodeOK {
		b.note("booking", "plate", u.plate.plate, code, msg, err)
		return
	}
	path := "/api/v1/reservations/" + url.PathEscape(v.BookCode)

	if p.changeAt > 0 {
		if !sleepUntil(ctx, t0.Add(p.changeAt)) {
			return
		}
		bookTime = bookTime.Add(p.postpone)
		body.BookTime = protocol.NewDateTime(bookTime).String()
		_, code, msg, err := b.call(req, http.MethodPatch, path, body)
		b.mu.Lock()
		switch {
		case err != nil:
			b.counts.Failed++
			u.until = u.until.Add(p.postpone)
		case code != protocol.CodeOK:
			b.counts.ChangeRefused[code]++
		default:
			b.counts.Changed++
			u.until = u.until.Add(p.postpone)
		}
		b.mu.Unlock()
		b.note("change", "bookCode", v.BookCode, code, msg, err)
	}
	if p.cancelAt > 0 {
		if !sleepUntil(ctx, t0.Add(p.cancelAt)) {
			return
		}
		_, code, msg, err := b.call(req, http.MethodDelete, path, nil)
		b.mu.Lock()
		switch {
		case err != nil:
			b.counts.Failed++
		case code != protocol.CodeOK:
			b.counts.CancelRefused[code]++
		default:
			b.counts.Cancelled++
			if !u.inside {
				u.until = time.Now() // a cancelled order is not live
			}
		}
		b.mu.Unlock()
		b.note("cancellation", "bookCode", v.BookCode, code, msg, err)
	}
}

// parkIDs matches the 32-character ids (isvParkId, bookCode) in a
// message.
var parkIDs = regexp.MustCompile(`\b[0-9A-Za-z]{32}\b`)

// refusalReason is the platform's reason for refusing a booking: its
// message (the code's appendix-A text and the detail naming the field,
// docs/protocol.md §4) with ids and dates left out, so that refusals of
// one kind count together; the code's text when there is no detail.
func refusalReason(code protocol.Code, msg string) string {
	msg = parkIDs.ReplaceAllString(msg, "…")
	msg = dateTimes.ReplaceAllString(msg, "…")
	if strings.TrimSpace(msg) == "" {
		return fmt.Sprintf("%d %s", int(code), code.Message())
	}
	if !strings.HasPrefix(msg, strconv.Itoa(int(code))) {
		msg = fmt.Sprintf("%d %s", int(code), msg)
	}
	return msg
}

// dateTimes matches a DateTime in a message.
var dateTimes = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}`)

// Reasons the platform gives that the operator can fix, and how
// (docs/protocol.md §8, §9).
const (
	reasonNoDownlink = "has no reservation downlink"
	reasonOffline    = "is offline"
)

// BookingHints explains refusals and missing bookings the operator can
// fix: the lots' account has no downlink callback (set it on the existing
// account with parkd account set-callback), the lots are offline, or no
// lot takes reservations. userID is the lots' account.
func (c BookingCounts) BookingHints(userID string) []string {
	var hints []string
	var noDownlink, offline int
	for why, n := range c.Why {
		switch {
		case strings.Contains(why, reasonNoDownlink):
			noDownlink += n
		case strings.Contains(why, reasonOffline):
			offline += n
		}
	}
	if noDownlink > 0 {
		hints = append(hints, fmt.Sprintf("%d bookings were refused because account %s has no reservation downlink (callback URL) on the platform; "+
			"set one on the existing account, then run parksim with --listen at that address:\n"+
			"    parkd account set-callback --data DIR --user-id %s --callback http://ADDR --callback-token-file FILE", noDownlink, userID, userID))
	}
	if offline > 0 {
		hints = append(hints, fmt.Sprintf("%d bookings were refused because the lots' account %s was not online (logged in and heartbeating) on the platform", offline, userID))
	}
	if c.Reservable == 0 {
		hints = append(hints, "no booking was tried: no simulated lot that takes reservations was registered on the platform (were their park reports refused? see the refusals above)")
	}
	return hints
}

// note logs a request that got no answer (warn) or was refused (info).
func (b *booker) note(what, key, value string, code protocol.Code, msg string, err error) {
	switch {
	case err != nil:
		b.s.cfg.Log.Warn(what+" got no answer", key, value, "err", err)
	case code != protocol.CodeOK:
		b.s.cfg.Log.Info(what+" refused", key, value, "code", int(code), "message", msg)
	}
}

// sleepUntil waits until t; it reports false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// call sends one booking API request and returns the first order of the
// answer, its code and message; err is a request that got no answer
// envelope.
func (b *booker) call(ctx context.Context, method, path string, body any) (orderView, protocol.Code, string, error) {
	select {
	case b.sem <- struct{}{}:
	case <-ctx.Done():
		return orderView{}, 0, "", ctx.Err()
	}
	defer func() { <-b.sem }()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return orderView{}, 0, "", err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return orderView{}, 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+b.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return orderView{}, 0, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return orderView{}, 0, "", err
	}
	var env struct {
		Code    *protocol.Code `json:"code"`
		Message string         `json:"message"`
		Data    []orderView    `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || env.Code == nil {
		return orderView{}, 0, "", fmt.Errorf("%s %s: HTTP %d, not a response envelope: %.100s", method, path, resp.StatusCode, raw)
	}
	var v orderView
	if len(env.Data) > 0 {
		v = env.Data[0]
	}
	if *env.Code == protocol.CodeOK && method != http.MethodGet && v.BookCode == "" {
		return v, 0, "", errors.New(method + " " + path + ": the answer names no order")
	}
	return v, *env.Code, env.Message, nil
}

// readBack reads the state of the most recent orders (finalReadLimit, in
// finalReadTimeout) and counts them.
func (b *booker) readBack() {
	b.mu.Lock()
	codes := slices.Clone(b.orders)
	b.counts.Final = map[string]int{}
	b.counts.Unread = 0
	b.mu.Unlock()
	if n := len(codes) - finalReadLimit; n > 0 {
		codes = codes[n:]
		b.mu.Lock()
		b.counts.Unread += n
		b.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), finalReadTimeout)
	defer cancel()
	work := make(chan string)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for code := range work {
				v, c, _, err := b.call(ctx, http.MethodGet, "/api/v1/reservations/"+url.PathEscape(code), nil)
				b.mu.Lock()
				if err != nil || c != protocol.CodeOK || v.State == "" {
					b.counts.Unread++
				} else {
					b.counts.Final[v.State]++
				}
				b.mu.Unlock()
			}
		}()
	}
	for _, c := range codes {
		work <- c
	}
	close(work)
	wg.Wait()
}

// intent returns whether the vehicle of the user with plate will come to
// their latest order, or nil when no user of the app has that plate.
func (b *booker) intent(plate string) *bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.intents[plate]
	if !ok {
		return nil
	}
	return &c
}

// watch is told by the lots (Lot.watch) when a reserved vehicle comes in
// or leaves. After it leaves, its user may book again once the platform
// has had time to see the exit.
func (b *booker) watch(plate string, inside bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u := b.users[plate]
	if u == nil {
		return
	}
	u.inside = inside
	if !inside {
		u.until = time.Now().Add(bookingMargin)
	}
}

// snapshot returns the counts so far.
func (b *booker) snapshot() BookingCounts {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.counts.clone()
}

// plateInside reports whether a vehicle with plate p is in any lot.
func (s *Sim) plateInside(p string) bool {
	for _, l := range s.lots {
		if l.hasPlate(p) {
			return true
		}
	}
	return false
}

// codeCounts lists counts by code, most frequent first.
func codeCounts(m map[protocol.Code]int) string {
	codes := make([]protocol.Code, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.SortFunc(codes, func(a, b protocol.Code) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return int(a) - int(b)
	})
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d %s ×%d", int(c), c.Message(), m[c])
	}
	return strings.Join(parts, ", ")
}

// reasonCounts formats refusal reasons, the most frequent first.
func reasonCounts(m map[string]int) string {
	reasons := slices.Collect(maps.Keys(m))
	slices.SortFunc(reasons, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%s ×%d", r, m[r])
	}
	return strings.Join(parts, "; ")
}

// writeBookings prints the booking lines of the summary.
func (m *Summary) writeBookings(w io.Writer) {
	c := m.Bookings
	secs := m.Running.Seconds()
	fmt.Fprintf(w, "  bookings (app back end): %d tried (asked %.4g/s), %d booked (%.2f/s)", c.Tried, m.BookRate, c.Booked, float64(c.Booked)/secs)
	if n := sumMap(c.Refused); n > 0 {
		fmt.Fprintf(w, ", %d refused: %s", n, codeCounts(c.Refused))
	}
	fmt.Fprintf(w, "; %d changed", c.Changed)
	if n := sumMap(c.ChangeRefused); n > 0 {
		fmt.Fprintf(w, " (%d refused: %s)", n, codeCounts(c.ChangeRefused))
	}
	fmt.Fprintf(w, ", %d cancelled", c.Cancelled)
	if n := sumMap(c.CancelRefused); n > 0 {
		fmt.Fprintf(w, " (%d refused: %s)", n, codeCounts(c.CancelRefused))
	}
	if c.Failed > 0 {
		fmt.Fprintf(w, "; %d requests got no answer", c.Failed)
	}
	fmt.Fprintln(w)
	if len(c.Why) > 0 {
		fmt.Fprintf(w, "  bookings refused because: %s\n", reasonCounts(c.Why))
	}
	for _, h := range c.BookingHints(m.UserID) {
		fmt.Fprintf(w, "  hint: %s\n", h)
	}
	if c.Booked == 0 {
		return
	}
	var parts []string
	for _, st := range orderStates {
		if n := c.Final[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	for st, n := range c.Final {
		if !slices.Contains(orderStates, st) {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	fmt.Fprintf(w, "  orders at the end (%d of %d read back): %s\n", c.Booked-c.Unread, c.Booked, strings.Join(parts, ", "))
}
