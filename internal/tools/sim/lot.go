package sim

import (
	"container/heap"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/protocol"
)

// badKind is a deliberate fault in a record (Config.BadData).
type badKind int

const (
	badNone badKind = iota
	// The SDK's own check refuses these before they are queued.
	badLongPlate // plateNo over 20 characters: 1004
	badCarColor  // carColor outside appendix D: 1007
	// The platform refuses these; the outbox sets them aside.
	badUnknownPark // a record for a park never reported: 1101
	badBigPhoto    // a photo over 500 KB: 1007
	badLeaveFirst  // leaveTime before the entry's enterTime: 1007
	badAreaCode    // a park report whose areaCode is not in appendix F: 1007
)

// platformCode is the code the platform answers a record with this fault,
// or 0 for faults the SDK refuses first (and for badNone).
func (b badKind) platformCode() protocol.Code {
	switch b {
	case badUnknownPark:
		return protocol.CodeNoPark
	case badBigPhoto, badLeaveFirst, badAreaCode:
		return protocol.CodeRange
	}
	return 0
}

var (
	enterFaults = []badKind{badLongPlate, badCarColor, badUnknownPark, badBigPhoto}
	exitFaults  = []badKind{badLongPlate, badCarColor, badLeaveFirst, badBigPhoto}
	hourFaults  = []badKind{badAreaCode}
)

// item is one thing to queue in the outbox, in order.
type item struct {
	kind  protocol.Interface
	value any // a protocol item, or a photo
	bad   badKind
}

// photo is a picture to queue; its bytes are made when it is queued.
type photo struct {
	client.Photo
	pool      int
	oversized bool
}

// vehicle is a vehicle inside a lot.
type vehicle struct {
	seq      uint64
	id       string
	plate    plateKind
	color    protocol.CarColor
	enter    time.Time
	leave    time.Time
	bookCode string
	entered  bool // the platform should hold its entry
	charging bool
}

// booking is a reservation a lot accepted.
type booking struct {
	code    string
	plate   string
	model   *protocol.CarModel
	color   *protocol.CarColor
	pcolor  *protocol.PlateColor
	at      time.Time // when the vehicle comes, or the hold lapses
	show    bool
	state   string // "held", "arrived", "lapsed", "cancelled"
	index   int    // in the lot's booking heap, -1 when out
	ordinal uint64
}

// Lot is one simulated parking lot: its park report, entrances and the
// vehicles inside. Its traffic is a pure function of the seed, so two
// lots made with the same seed produce the same plates, ids and times.
type Lot struct {
	spec   lotSpec
	code   string
	base   float64 // arrivals per simulated second at rhythm 1
	badP   float64
	ins    []protocol.EntranceExitInfo
	outs   []protocol.EntranceExitInfo
	photos int // pool size
	// speed is Config.Speed: simulated seconds per real second, to place
	// the platform's reservation times on the simulated clock.
	speed float64
	// watch, when set, is told (under the lot's lock) when a reserved
	// vehicle comes in (true) and when it leaves (false).
	watch func(plate string, inside bool)

	mu       sync.Mutex
	rng      *rand.Rand // the lot's own traffic
	rrng     *rand.Rand // vehicles that come with a reservation
	nextArr  time.Time
	nextHour time.Time
	deps     depHeap
	books    bookHeap
	inside   map[string]*vehicle // by record id
	plates   map[string]bool
	bookings map[string]*booking
	fixes    map[string][]protocol.EnterRecord // correct entries the platform lacks, by plate
	seq      uint64
	held     int
	charging int
	dirty    bool // the vacancy changed outside step (a reservation)
	wake     chan struct{}

	arrivals, turnedAway, departures int
	showed, lapsed                   int
}

// newLot makes lot number i (from 1) as spec describes, its traffic seeded by
// seed, with base arrivals per simulated second at rhythm 1; begin starts
// its clock.
func newLot(spec lotSpec, i int, seed int64, base, badP float64, photos int) *Lot {
	l := &Lot{
		spec: spec, code: spec.info.ParkCode, base: base, badP: badP, photos: max(photos, 1),
		rng:      rand.New(rand.NewPCG(uint64(seed), uint64(i)*0x9e3779b97f4a7c15+1)),
		rrng:     rand.New(rand.NewPCG(uint64(seed)^0x5bd1e995, uint64(i)*0xc2b2ae3d27d4eb4f+7)),
		inside:   map[string]*vehicle{},
		plates:   map[string]bool{},
		bookings: map[string]*booking{},
		fixes:    map[string][]protocol.EnterRecord{},
		wake:     make(chan struct{}, 1),
	}
	for _, g := range spec.entrances {
		if g.Type != protocol.EntranceOut {
			l.ins = append(l.ins, g)
		}
		if g.Type != protocol.EntranceIn {
			l.outs = append(l.outs, g)
		}
	}
	return l
}

// begin starts the lot's clock at start: the first arrival and the first
// top of the hour are drawn from there.
func (l *Lot) begin(start time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nextHour = client.NextHour(start)
	l.nextArr = farFuture(start)
	if l.base > 0 {
		l.nextArr = nextArrival(l.rng, start, l.base)
	}
}

// farAhead is further than any simulation goes.
const farAhead = 100 * 365 * 24 * time.Hour

func farFuture(t time.Time) time.Time { return t.Add(farAhead) }

// ParkCode returns the lot's parkCode.
func (l *Lot) ParkCode() string { return l.code }

// Info returns the lot's park report (table 6).
func (l *Lot) Info() protocol.ParkInfo { return l.spec.info }

// Entrances returns the lot's entrances (table 9).
func (l *Lot) Entrances() []protocol.EntranceExitInfo { return slices.Clone(l.spec.entrances) }

// setup returns what a lot reports before any traffic: the tariff board
// picture its park report cites, the park, its entrances and its vacancy.
func (l *Lot) setup(start time.Time) []item {
	l.mu.Lock()
	defer l.mu.Unlock()
	tariff := photo{Photo: client.Photo{ParkCode: l.code, ID: l.spec.info.ImageID, FileName: fileName("tariff", start, 0),
		ImageBizType: protocol.ImageTariff, PickTime: start}}
	return []item{
		{kind: protocol.PictureCode, value: tariff},
		{kind: protocol.ParkInfoCode, value: l.spec.info},
		{kind: protocol.EntranceExitCode, value: l.spec.entrances},
		l.vacancyLocked(),
	}
}

// next returns the simulated time of the lot's next event.
func (l *Lot) next() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nextLocked()
}

func (l *Lot) nextLocked() time.Time {
	t := l.nextArr
	if l.nextHour.Before(t) {
		t = l.nextHour
	}
	if len(l.deps) > 0 && l.deps[0].leave.Before(t) {
		t = l.deps[0].leave
	}
	if len(l.books) > 0 && l.books[0].at.Before(t) {
		t = l.books[0].at
	}
	return t
}

// step performs the lot's next event and returns its simulated time and
// the records it produced, in the order they must be sent.
func (l *Lot) step() (time.Time, []item) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.nextLocked()
	switch {
	case len(l.deps) > 0 && l.deps[0].leave.Equal(t):
		v := heap.Pop(&l.deps).(*vehicle)
		return t, l.departLocked(v)
	case len(l.books) > 0 && l.books[0].at.Equal(t):
		b := heap.Pop(&l.books).(*booking)
		return t, l.bookingDueLocked(b)
	case l.nextHour.Equal(t):
		l.nextHour = t.Add(time.Hour)
		return t, l.hourLocked(t)
	default:
		l.nextArr = nextArrival(l.rng, t, l.base)
		return t, l.arriveLocked(t)
	}
}

// arriveLocked lets a vehicle in at t, unless the lot is full.
func (l *Lot) arriveLocked(t time.Time) []item {
	pk := l.uniquePlate(l.rng)
	if len(l.inside)+l.held >= l.spec.info.TotalSpaces {
		l.turnedAway++
		return nil
	}
	l.arrivals++
	v := l.newVehicle(l.rng, t, pk, "")
	return l.enterLocked(l.rng, v)
}

func (l *Lot) uniquePlate(r *rand.Rand) plateKind {
	pk := newPlate(r)
	for try := 0; l.plates[pk.plate] && try < 8; try++ {
		pk = newPlate(r)
	}
	return pk
}

func (l *Lot) newVehicle(r *rand.Rand, t time.Time, pk plateKind, bookCode string) *vehicle {
	l.seq++
	return &vehicle{seq: l.seq, id: newID(r), plate: pk, color: carColor(r), enter: t, leave: t.Add(dwell(r, t)), bookCode: bookCode}
}

// enterLocked puts v inside and returns its entry photo, entry record and
// the new vacancy.
func (l *Lot) enterLocked(r *rand.Rand, v *vehicle) []item {
	l.inside[v.id] = v
	l.plates[v.plate.plate] = true
	heap.Push(&l.deps, v)
	if v.plate.carModel == protocol.CarModelSmallNEV && l.charging < l.spec.charging && r.IntN(2) == 0 {
		v.charging = true
		l.charging++
	}
	gate := l.ins[r.IntN(len(l.ins))]
	bad := l.fault(r, enterFaults)
	ph := l.photoOf(r, v.enter, protocol.ImagePlate, bad == badBigPhoto)
	model, color, pcolor := v.plate.carModel, v.color, v.plate.plateColor
	rec := protocol.EnterRecord{ParkCode: l.code, ID: v.id, PlateNo: v.plate.plate, EnterTime: protocol.NewDateTime(v.enter),
		EntryCarPhotoID: ph.ID, EntranceCode: gate.EntranceExitCode, EntranceName: gate.Name,
		CarModel: &model, CarColor: &color, PlateColor: &pcolor, BookCode: v.bookCode}
	good := rec
	v.entered = true
	switch bad {
	case badLongPlate:
		rec.PlateNo += "-TEMPORARY-PLATE"
	case badCarColor:
		c := protocol.CarColor(9 + r.IntN(90))
		rec.CarColor = &c
	case badUnknownPark:
		rec.ParkCode = unreported(l.code)
	}
	if bad != badNone && bad != badBigPhoto {
		v.entered = false
		l.fixes[v.plate.plate] = append(l.fixes[v.plate.plate], good)
	}
	photoBad, recBad := split(bad)
	return []item{
		{kind: protocol.PictureCode, value: ph, bad: photoBad},
		{kind: protocol.EnterRecordCode, value: rec, bad: recBad},
		l.vacancyLocked(),
	}
}

// split tells which of a photo and its record carries the fault bad.
func split(bad badKind) (photo, record badKind) {
	if bad == badBigPhoto {
		return bad, badNone
	}
	return badNone, bad
}

// departLocked lets v out and returns its exit photo, exit record and the
// new vacancy.
func (l *Lot) departLocked(v *vehicle) []item {
	r := l.rng
	if v.bookCode != "" {
		r = l.rrng
	}
	delete(l.inside, v.id)
	delete(l.plates, v.plate.plate)
	if v.charging {
		l.charging--
	}
	if v.bookCode != "" && l.watch != nil {
		l.watch(v.plate.plate, false)
	}
	l.departures++
	gate := l.outs[r.IntN(len(l.outs))]
	bad := l.fault(r, exitFaults)
	if bad == badLeaveFirst && !v.entered {
		bad = badBigPhoto // the platform has no entry to compare with
	}
	ph := l.photoOf(r, v.leave, protocol.ImagePlate, bad == badBigPhoto)
	model, color, pcolor := v.plate.carModel, v.color, v.plate.plateColor
	rec := protocol.ExitRecord{ParkCode: l.code, ID: v.id, PlateNo: v.plate.plate, LeaveTime: protocol.NewDateTime(v.leave),
		ExitCarPhotoID: ph.ID, ExitCode: gate.EntranceExitCode, ExitName: gate.Name,
		CarModel: &model, CarColor: &color, PlateColor: &pcolor, BookCode: v.bookCode}
	switch bad {
	case badLongPlate:
		rec.PlateNo += "-TEMPORARY-PLATE"
	case badCarColor:
		c := protocol.CarColor(9 + r.IntN(90))
		rec.CarColor = &c
	case badLeaveFirst:
		rec.LeaveTime = protocol.NewDateTime(v.enter.Add(-time.Duration(1+r.IntN(59)) * time.Minute))
	}
	photoBad, recBad := split(bad)
	return []item{
		{kind: protocol.PictureCode, value: ph, bad: photoBad},
		{kind: protocol.ExitRecordCode, value: rec, bad: recBad},
		l.vacancyLocked(),
	}
}

// hourLocked returns the plate list due at the top of the hour t
// (parkCarInfo, clause 6.6.1), and, as a fault, a park report with a
// city-level areaCode that appendix F does not list.
func (l *Lot) hourLocked(t time.Time) []item {
	plates := make([]string, 0, len(l.plates))
	for p := range l.plates {
		plates = append(plates, p)
	}
	slices.Sort(plates)
	out := []item{{kind: protocol.ParkCarInfoCode, value: protocol.ParkCarInfo{ParkCode: l.code, PlateNoList: protocol.JoinPlates(plates)}}}
	if bad := l.fault(l.rng, hourFaults); bad == badAreaCode {
		info := l.spec.info
		info.AreaCode = "440300" // Shenzhen itself, not one of its districts
		out = append(out, item{kind: protocol.ParkInfoCode, value: info, bad: bad})
	}
	return out
}

// bookingDueLocked brings a reserved vehicle in, or lets its hold lapse.
func (l *Lot) bookingDueLocked(b *booking) []item {
	if b.state != "held" {
		return nil
	}
	l.held--
	if !b.show {
		b.state = "lapsed"
		l.lapsed++
		return []item{l.vacancyLocked()}
	}
	b.state = "arrived"
	l.showed++
	pk := plateKind{plate: b.plate, carModel: protocol.CarModelSmall, plateColor: protocol.PlateBlue}
	if b.model != nil {
		pk.carModel = *b.model
	}
	if b.pcolor != nil {
		pk.plateColor = *b.pcolor
	}
	v := l.newVehicle(l.rrng, b.at, pk, b.code)
	if b.color != nil {
		v.color = *b.color
	}
	l.arrivals++
	if l.watch != nil {
		l.watch(v.plate.plate, true)
	}
	return l.enterLocked(l.rrng, v)
}

// vacancyLocked returns the lot's vacancy report (table 17).
func (l *Lot) vacancyLocked() item {
	total := l.spec.info.TotalSpaces
	used := len(l.inside)
	unused := max(total-used-l.held, 0)
	res := 0
	if l.spec.info.Reservable == protocol.Yes {
		res = max(min(l.spec.info.ReservableSpaces-l.held, unused), 0)
	}
	l.dirty = false
	return item{kind: protocol.ParkSpaceInfoCode, value: protocol.ParkSpaceInfo{ParkCode: l.code, UsedStalls: used,
		ReservedStalls: l.held, UsedCharingStalls: l.charging, UnusedStalls: unused, UnusedReservableStalls: res,
		UnusedCharingStalls: max(l.spec.charging-l.charging, 0)}}
}

// pendingVacancy returns a vacancy report when a reservation changed the
// lot since the last one.
func (l *Lot) pendingVacancy() []item {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.dirty {
		return nil
	}
	return []item{l.vacancyLocked()}
}

// fault draws whether the next record is deliberately bad, and how. It
// always draws, so the traffic is the same whatever the probability.
func (l *Lot) fault(r *rand.Rand, kinds []badKind) badKind {
	u, k := r.Float64(), r.IntN(len(kinds))
	if u < l.badP {
		return kinds[k]
	}
	return badNone
}

func (l *Lot) photoOf(r *rand.Rand, t time.Time, kind protocol.ImageBizType, oversized bool) photo {
	id := newID(r)
	l.seq++
	return photo{Photo: client.Photo{ParkCode: l.code, ID: id, FileName: fileName("parksim", t, l.seq),
		ImageBizType: kind, PickTime: t}, pool: r.IntN(l.photos), oversized: oversized}
}

// fileName follows table 15: vendor name + yyyyMMdd + 6 digits.
func fileName(vendor string, t time.Time, n uint64) string {
	return fmt.Sprintf("%s%s%06d.jpg", vendor, t.In(protocol.CST).Format("20060102"), n%1_000_000)
}

// newID returns a Uuid of 32 lowercase hex digits drawn from r.
func newID(r *rand.Rand) string { return fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()) }

// unreported is a parkCode the vendor never reported: records citing it
// are refused with 1101.
func unreported(code string) string {
	sum := sha256.Sum256([]byte("unreported\x00" + code))
	return hex.EncodeToString(sum[:16])
}

// resend returns the correct entries of plates the platform asked to be
// re-reported (replenishCarInfo), for those the lot sent bad.
func (l *Lot) resend(plates []string) []item {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []item
	for _, p := range plates {
		for _, rec := range l.fixes[p] {
			out = append(out, item{kind: protocol.EnterRecordCode, value: rec})
		}
		delete(l.fixes, p)
	}
	return out
}

// hasPlate reports whether a vehicle with plate p is inside.
func (l *Lot) hasPlate(p string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.plates[p]
}

// LotState is a lot's state as the simulator sees it.
type LotState struct {
	ParkCode   string
	Name       string
	Total      int // totalSpaces
	Inside     int // vehicles inside: the last usedStalls reported
	Held       int // reservations holding a space
	Arrivals   int
	TurnedAway int // arrivals that found the lot full
	Departures int
}

// State returns the lot's state now.
func (l *Lot) State() LotState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return LotState{ParkCode: l.code, Name: l.spec.info.ParkName, Total: l.spec.info.TotalSpaces, Inside: len(l.inside),
		Held: l.held, Arrivals: l.arrivals, TurnedAway: l.turnedAway, Departures: l.departures}
}

// depHeap orders vehicles by leaving time.
type depHeap []*vehicle

func (h depHeap) Len() int { return len(h) }
func (h depHeap) Less(i, j int) bool {
	if h[i].leave.Equal(h[j].leave) {
		return h[i].seq < h[j].seq
	}
	return h[i].leave.Before(h[j].leave)
}
func (h depHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *depHeap) Push(x any)   { *h = append(*h, x.(*vehicle)) }
func (h *depHeap) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}

// bookHeap orders bookings by due time.
type bookHeap []*booking

func (h bookHeap) Len() int { return len(h) }
func (h bookHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].ordinal < h[j].ordinal
	}
	return h[i].at.Before(h[j].at)
}
func (h bookHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *bookHeap) Push(x any) {
	b := x.(*booking)
	b.index = len(*h)
	*h = append(*h, b)
}
func (h *bookHeap) Pop() any {
	old := *h
	b := old[len(old)-1]
	b.index = -1
	*h = old[:len(old)-1]
	return b
}
