package load

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	mrand "math/rand/v2"
	"strconv"
	"time"

	"github.com/parkd/parkd/protocol"
)

// Gates every park of a run has (table 9).
const (
	gateIn  = "GATE01"
	gateOut = "GATE02"
)

// areas are Shenzhen districts (appendix F) the parks are spread over.
var areas = []struct {
	code     string
	name     string
	lng, lat float64
}{
	{"440303", "罗湖", 114.131, 22.548},
	{"440304", "福田", 114.055, 22.541},
	{"440305", "南山", 113.930, 22.533},
	{"440306", "宝安", 113.883, 22.555},
	{"440307", "龙岗", 114.247, 22.720},
}

// lot is a simulated park: its code, size, and the vehicles inside.
type lot struct {
	code   string
	area   int
	total  int
	inside map[string]string // visit id -> plate
}

// visit is a vehicle inside a lot.
type visit struct {
	lot   int
	id    string
	plate string
	enter time.Time
}

// photoRef is a photo a record cites, waiting to be uploaded.
type photoRef struct {
	lot  int
	id   string
	pick time.Time
}

// queue is a FIFO.
type queue[T any] struct {
	items []T
	head  int
}

func (q *queue[T]) push(v T) { q.items = append(q.items, v) }

func (q *queue[T]) len() int { return len(q.items) - q.head }

func (q *queue[T]) pop() (T, bool) {
	var zero T
	if q.head == len(q.items) {
		return zero, false
	}
	v := q.items[q.head]
	q.items[q.head] = zero
	q.head++
	if q.head > 1024 && q.head*2 > len(q.items) {
		q.items = append(q.items[:0], q.items[q.head:]...)
		q.head = 0
	}
	return v, true
}

// maxPhotosWaiting bounds the photos waiting for upload.
const maxPhotosWaiting = 10000

// world is the state of the simulated lots. It is used by the scheduler
// goroutine only.
type world struct {
	rng          *mrand.Rand
	lots         []lot
	open         queue[visit]
	vacancyDue   queue[int]
	photosDue    queue[photoRef]
	pictureShare float64
	idPrefix     string
	idSeq        uint64
	carInfoNext  int
}

func newWorld(rng *mrand.Rand, lots int, pictureShare float64) *world {
	w := &world{rng: rng, pictureShare: pictureShare, idPrefix: randomHex(8)}
	w.lots = make([]lot, lots)
	for i := range w.lots {
		w.lots[i] = lot{code: randomHex(16), area: rng.IntN(len(areas)), total: 50 + rng.IntN(451),
			inside: map[string]string{}}
	}
	return w
}

// randomHex returns 2n random lowercase hex digits from the system's
// CSPRNG: park codes and ids are new on every run, whatever the seed.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newID returns a new 32-hex id, unique within the run.
func (w *world) newID() string {
	w.idSeq++
	return w.idPrefix + fmt.Sprintf("%016x", w.idSeq)
}

// plateChars are the characters of the serial part of a plate.
const plateChars = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

// newPlate returns a well-formed Shenzhen plate: 粤B and 5 characters.
func (w *world) newPlate() string {
	b := []byte("粤B")
	for range 5 {
		b = append(b, plateChars[w.rng.IntN(len(plateChars))])
	}
	return string(b)
}

func (w *world) randomLot() int { return w.rng.IntN(len(w.lots)) }

// parkInfo is the table 6 report of lot i.
func (w *world) parkInfo(i int) protocol.ParkInfo {
	l := w.lots[i]
	a := areas[l.area]
	zero := 0
	return protocol.ParkInfo{
		ParkName: fmt.Sprintf("压测停车场 %s-%d", l.code[:6], i), ParkCode: l.code, ParkType: 1,
		Address:   "深圳市" + a.name + "区压测路" + strconv.Itoa(i+1) + "号",
		Longitude: a.lng + float64(i%100)*0.0003, Latitude: a.lat + float64(i/100%100)*0.0003,
		AreaCode: a.code, ServiceType: 4, BizStatus: 1, TotalSpaces: l.total, TotalCharingSpaces: &zero,
		Reservable: 0, ImageID: l.code,
		PublicInfos: []protocol.PublicInfo{{Type: 1, StartTime: protocol.MustTime("00:00:00"), EndTime: protocol.MustTime("23:59:59")}},
	}
}

// gates are the table 9 reports of lot i: one gate in, one out.
func (w *world) gates(i int) []protocol.EntranceExitInfo {
	l := w.lots[i]
	a := areas[l.area]
	return []protocol.EntranceExitInfo{
		{ParkCode: l.code, Name: "北门入口", EntranceExitCode: gateIn, Type: protocol.EntranceIn,
			Longitude: a.lng, Latitude: a.lat, Status: 1},
		{ParkCode: l.code, Name: "南门出口", EntranceExitCode: gateOut, Type: protocol.EntranceOut,
			Longitude: a.lng + 0.0002, Latitude: a.lat, Status: 1},
	}
}

// enter starts a new visit at a random lot at time at and returns its
// entry (table 11).
func (w *world) enter(at time.Time) protocol.EnterRecord {
	v := visit{lot: w.randomLot(), id: w.newID(), plate: w.newPlate(), enter: at}
	return w.enterVisit(v)
}

func (w *world) enterVisit(v visit) protocol.EnterRecord {
	l := &w.lots[v.lot]
	l.inside[v.id] = v.plate
	w.open.push(v)
	w.vacancyDue.push(v.lot)
	photo := w.newID()
	w.maybePhoto(v.lot, photo, v.enter)
	return protocol.EnterRecord{ParkCode: l.code, ID: v.id, PlateNo: v.plate, EnterTime: protocol.NewDateTime(v.enter),
		EntryCarPhotoID: photo, EntranceCode: gateIn, EntranceName: "北门入口"}
}

// prefill puts a vehicle that entered before the run in a random lot.
func (w *world) prefill(now time.Time) protocol.EnterRecord {
	at := now.Add(-10*time.Minute - time.Duration(w.rng.Int64N(int64(170*time.Minute))))
	v := visit{lot: w.randomLot(), id: w.newID(), plate: w.newPlate(), enter: at}
	l := &w.lots[v.lot]
	l.inside[v.id] = v.plate
	w.open.push(v)
	return protocol.EnterRecord{ParkCode: l.code, ID: v.id, PlateNo: v.plate, EnterTime: protocol.NewDateTime(at),
		EntryCarPhotoID: w.newID(), EntranceCode: gateIn, EntranceName: "北门入口"}
}

// exit ends the oldest open visit at time at; with none open it enters a
// vehicle instead (ok false).
func (w *world) exit(at time.Time) (protocol.ExitRecord, bool) {
	v, ok := w.open.pop()
	if !ok {
		return protocol.ExitRecord{}, false
	}
	if at.Before(v.enter) {
		at = v.enter
	}
	l := &w.lots[v.lot]
	delete(l.inside, v.id)
	w.vacancyDue.push(v.lot)
	photo := w.newID()
	w.maybePhoto(v.lot, photo, at)
	return protocol.ExitRecord{ParkCode: l.code, ID: v.id, PlateNo: v.plate, LeaveTime: protocol.NewDateTime(at),
		ExitCarPhotoID: photo, ExitCode: gateOut, ExitName: "南门出口"}, true
}

func (w *world) maybePhoto(lot int, id string, at time.Time) {
	if w.pictureShare <= 0 || w.rng.Float64() >= w.pictureShare {
		return
	}
	if w.photosDue.len() >= maxPhotosWaiting {
		w.photosDue.pop()
	}
	w.photosDue.push(photoRef{lot: lot, id: id, pick: at})
}

// vacancy reports the lot of the oldest entry or exit not yet followed
// by a vacancy report, or a random lot (table 17).
func (w *world) vacancy() protocol.ParkSpaceInfo {
	i, ok := w.vacancyDue.pop()
	if !ok {
		i = w.randomLot()
	}
	return w.vacancyOf(i)
}

func (w *world) vacancyOf(i int) protocol.ParkSpaceInfo {
	l := w.lots[i]
	used := min(len(l.inside), l.total)
	return protocol.ParkSpaceInfo{ParkCode: l.code, UsedStalls: used, UnusedStalls: l.total - used}
}

// photo returns the oldest photo waiting, or a new one of a random lot.
func (w *world) photo(at time.Time) photoRef {
	if p, ok := w.photosDue.pop(); ok {
		return p
	}
	return photoRef{lot: w.randomLot(), id: w.newID(), pick: at}
}

// carInfo is the plate list of the next lot in turn (table 23).
func (w *world) carInfo() protocol.ParkCarInfo {
	i := w.carInfoNext
	w.carInfoNext = (w.carInfoNext + 1) % len(w.lots)
	l := w.lots[i]
	plates := make([]string, 0, len(l.inside))
	for _, p := range l.inside {
		plates = append(plates, p)
	}
	return protocol.ParkCarInfo{ParkCode: l.code, PlateNoList: protocol.JoinPlates(plates)}
}

// replenish asks for today's first page of lot i's replenish list.
func (w *world) replenish(at time.Time) protocol.ReplenishRequest {
	return protocol.ReplenishRequest{ParkCode: w.lots[w.randomLot()].code, QueryDate: protocol.NewDate(at),
		CurrentPage: 1, PageSize: protocol.MaxPageSize}
}

// minPhotoBytes is the smallest photo a run makes: the image, a comment
// segment holding the photo's id, and room to spare.
const minPhotoBytes = 4096

// photoTemplate is a valid JPEG of n bytes: a small noisy image after a
// comment (COM) segment whose first 32 bytes, at photoIDOffset, are
// replaced by each photo's id (so every upload has its own bytes and
// digest), padded with more comment segments to the size.
func photoTemplate(n int) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	noise := make([]byte, 64*48*3)
	_, _ = rand.Read(noise)
	for i := range 64 * 48 {
		img.Set(i%64, i/64, color.RGBA{noise[3*i], noise[3*i+1], noise[3*i+2], 0xff})
	}
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	base := enc.Bytes()
	pad := n - len(base)
	if pad < 64 {
		return nil, fmt.Errorf("load: a %d-byte JPEG cannot be made (the image alone is %d)", n, len(base))
	}
	out := make([]byte, 0, n)
	out = append(out, base[:2]...) // SOI
	for pad > 0 {
		seg := min(pad, 4+65533) // marker, length, at most 65533 bytes of comment
		if rest := pad - seg; rest > 0 && rest < 4 {
			seg -= 4
		}
		body := seg - 4
		out = append(out, 0xFF, 0xFE, byte((body+2)>>8), byte(body+2))
		for i := range body {
			out = append(out, "parkload "[i%9])
		}
		pad -= seg
	}
	out = append(out, base[2:]...)
	return out, nil
}

// photoIDOffset is where a photo's id goes in the template: after SOI and
// the first comment segment's marker and length.
const photoIDOffset = 6
