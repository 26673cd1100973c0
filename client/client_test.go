package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// jpegOf returns a JPEG of noise (which compresses badly) of at least size
// bytes, the same for every run.
func jpegOf(t testing.TB, size int) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	for side := 128; side < 2048; side += 16 {
		img := image.NewRGBA(image.Rect(0, 0, side, side))
		for y := range side {
			for x := range side {
				img.Set(x, y, color.RGBA{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), 255})
			}
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
			t.Fatal(err)
		}
		if buf.Len() >= size {
			return buf.Bytes()
		}
	}
	t.Fatalf("no JPEG of %d bytes", size)
	return nil
}

// Every uplink call of the SDK, over HTTPS against a real parkd, succeeds
// and leaves what it reported in the platform's store.
func TestEveryCallIsStored(t *testing.T) {
	ts := startPlatform(t, false)
	if !strings.HasPrefix(ts.URL, "https://") {
		t.Fatalf("platform URL %s is not HTTPS", ts.URL)
	}
	c := newClient(t, ts)
	ctx := context.Background()

	isv := registerPark(t, c, parkA)
	var park platform.Park
	view(t, ts.Store, func(tx platform.Tx) (err error) {
		park, err = tx.Park(userID, parkA)
		return err
	})
	if park.IsvParkID != isv || park.Name != "福田中心停车场" || park.AreaCode != "440304" {
		t.Errorf("stored park %+v, want isvParkId %s", park, isv)
	}
	if again := registerPark(t, c, parkA); again != isv {
		t.Errorf("re-reported park got isvParkId %s, want %s", again, isv)
	}

	gate := protocol.EntranceExitInfo{ParkCode: parkA, Name: "北门", EntranceExitCode: "GATE01", Type: protocol.EntranceInOut,
		Longitude: 114.058, Latitude: 22.5432, Status: protocol.EntranceNormal}
	ents, err := c.EntranceExitInfo(ctx, gate)
	if err != nil {
		t.Fatalf("entranceExitInfo: %v", err)
	}
	if len(ents) != 1 || len(ents[0].ID) != 32 {
		t.Fatalf("entranceExitInfo answer %+v", ents)
	}
	view(t, ts.Store, func(tx platform.Tx) error {
		e, err := tx.Entrance(isv, "GATE01")
		if err == nil && e.ID != ents[0].ID {
			t.Errorf("stored entrance id %s, answered %s", e.ID, ents[0].ID)
		}
		return err
	})

	id := eventID("ev", 1)
	recs, err := c.EnterRecord(ctx, enter(t, parkA, id, "粤b12345", "2024-01-01 07:30:00"))
	if err != nil || len(recs) != 1 || recs[0].ID != id {
		t.Fatalf("enterRecord: %+v, %v", recs, err)
	}
	recs, err = c.ExitRecord(ctx, exit(t, parkA, id, "粤B12345", "2024-01-01 07:55:00"))
	if err != nil || len(recs) != 1 || recs[0].ID != id {
		t.Fatalf("exitRecord: %+v, %v", recs, err)
	}
	view(t, ts.Store, func(tx platform.Tx) error {
		in, err := tx.Record(platform.KindEnter, isv, id)
		if err != nil {
			return err
		}
		out, err := tx.Record(platform.KindExit, isv, id)
		if err != nil {
			return err
		}
		if in.PlateNo != "粤B12345" || !in.Time.Equal(dt(t, "2024-01-01 07:30:00").Time()) {
			t.Errorf("stored entry %+v", in)
		}
		if out.NoEntry || !out.Time.Equal(dt(t, "2024-01-01 07:55:00").Time()) {
			t.Errorf("stored exit %+v", out)
		}
		return nil
	})

	pic := jpegOf(t, 150*1024)
	if len(pic) > protocol.MaxPictureBytes {
		t.Fatalf("test picture is %d bytes", len(pic))
	}
	pr, err := c.Picture(ctx, client.Photo{ParkCode: parkA, ID: photoID, FileName: "vendor20240101000001.jpg",
		ImageBizType: protocol.ImageBizType(1), PickTime: dt(t, "2024-01-01 07:30:00").Time(), Data: pic})
	if err != nil || pr.ID != photoID {
		t.Fatalf("picture: %+v, %v", pr, err)
	}
	sum := sha256.Sum256(pic)
	view(t, ts.Store, func(tx platform.Tx) error {
		p, err := tx.Picture(userID, parkA, photoID)
		if err != nil {
			return err
		}
		if p.Size != len(pic) || p.Kind != "jpeg" || p.Hash != hex.EncodeToString(sum[:]) || p.ImageBizType != 1 {
			t.Errorf("stored picture %+v, want %d bytes of JPEG", p, len(pic))
		}
		return nil
	})

	sp, err := c.ParkSpaceInfo(ctx, protocol.ParkSpaceInfo{ParkCode: parkA, UsedStalls: 40, UsedCharingStalls: 1,
		UnusedStalls: 60, UnusedReservableStalls: 5, UnusedCharingStalls: 9})
	if err != nil || len(sp) != 1 || sp[0].ParkCode != parkA {
		t.Fatalf("parkSpaceInfo: %+v, %v", sp, err)
	}
	view(t, ts.Store, func(tx platform.Tx) error {
		v, err := tx.Vacancy(isv)
		if err == nil && (v.UsedStalls != 40 || v.UnusedStalls != 60) {
			t.Errorf("stored vacancy %+v", v)
		}
		return err
	})

	cars, err := c.ParkCarInfo(ctx, protocol.ParkCarInfo{ParkCode: parkA, PlateNoList: protocol.JoinPlates([]string{"粤B00001", "粤B00002"})})
	if err != nil || len(cars) != 1 || cars[0].ParkCode != parkA {
		t.Fatalf("parkCarInfo: %+v, %v", cars, err)
	}
	hour := ts.Clock.Now().Truncate(time.Hour)
	view(t, ts.Store, func(tx platform.Tx) error {
		vs, err := tx.Verifications(isv, hour, hour.Add(time.Hour))
		if err == nil && (len(vs) != 1 || !slices.Equal(vs[0].PlateList, []string{"粤B00001", "粤B00002"})) {
			t.Errorf("stored verifications %+v", vs)
		}
		return err
	})

	// 60 exits without entries on 2024-01-01, one on the next day: the
	// replenish list of 2024-01-01 has 60 plates on two pages.
	var want []string
	var exits []protocol.ExitRecord
	for n := range 60 {
		at := dt(t, "2024-01-01 00:00:00").Time().Add(time.Duration(n) * time.Minute)
		x := exit(t, parkA, eventID("orphan", n), plateNo(n), protocol.NewDateTime(at).String())
		exits = append(exits, x)
		want = append(want, plateNo(n))
	}
	exits = append(exits, exit(t, parkA, eventID("orphan", 99), plateNo(99), "2024-01-02 00:00:00"))
	if _, err := c.ExitRecord(ctx, exits...); err != nil {
		t.Fatalf("exitRecord of 61 items: %v", err)
	}
	day := dt(t, "2024-01-01 12:00:00").Time()
	page1, err := c.ReplenishCarInfo(ctx, protocol.ReplenishRequest{ParkCode: parkA, QueryDate: protocol.NewDate(day), CurrentPage: 1, PageSize: 50})
	if err != nil {
		t.Fatalf("replenishCarInfo page 1: %v", err)
	}
	if page1.ParkCode != parkA || len(page1.PlateNoList) != 50 || page1.Total != 60 {
		t.Errorf("page 1: %d plates, total %d", len(page1.PlateNoList), page1.Total)
	}
	_, err = c.ReplenishCarInfo(ctx, protocol.ReplenishRequest{ParkCode: parkA, QueryDate: protocol.NewDate(day), CurrentPage: 3, PageSize: 50})
	if client.CodeOf(err) != protocol.CodeNoPage {
		t.Errorf("page 3: %v, want code 1107", err)
	}
	all, err := c.ReplenishAll(ctx, parkA, day)
	if err != nil {
		t.Fatalf("replenishAll: %v", err)
	}
	slices.Sort(all)
	if !slices.Equal(all, want) {
		t.Errorf("replenishAll: %d plates %v, want the %d plates of 2024-01-01", len(all), all, len(want))
	}
	// A day with no list is an empty first page, not an error.
	all, err = c.ReplenishAll(ctx, parkA, dt(t, "2024-01-03 12:00:00").Time())
	if err != nil || len(all) != 0 {
		t.Errorf("replenishAll of a day with no list: %v, %v", all, err)
	}
}

// Login and heartbeats teach the client the platform's clock, so requests
// are stamped with the platform's time even when the local clock is an
// hour behind.
func TestHeartbeatLearnsClockOffset(t *testing.T) {
	ts := startPlatform(t, false)
	local := testserver.NewClock(testserver.Epoch)
	ts.Clock.Set(testserver.Epoch.Add(time.Hour))
	c := clientFor(t, ts.URL, ts.Client, local.Now)
	ctx := context.Background()

	// Login is exempt from the timestamp window; its answer's timestamp
	// gives the offset, so the first call is already on time.
	if _, err := c.ParkInfo(ctx, parkInfo(parkA)); err != nil {
		t.Fatalf("parkInfo with the local clock 1 h behind: %v", err)
	}
	if got := c.ClockOffset(); got != time.Hour {
		t.Fatalf("ClockOffset after login = %v, want 1h", got)
	}
	if c.Token() == "" {
		t.Fatal("no token after login")
	}
	// A refused timestamp is not a rejection of the data.
	stamp := &client.Error{Interface: protocol.ParkInfoCode, Code: protocol.CodeParam, Message: "参数错误: timestamp (outside the window)"}
	if client.IsRejection(stamp) {
		t.Error("IsRejection of a refused timestamp = true; the data itself was not refused")
	}

	if err := c.Heartbeat(ctx); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	if got := c.ClockOffset(); got != time.Hour {
		t.Fatalf("ClockOffset = %v, want 1h", got)
	}
	if !c.Now().Equal(ts.Clock.Now()) {
		t.Errorf("client Now %v, platform %v", c.Now(), ts.Clock.Now())
	}

	for range 3 {
		local.Advance(20 * time.Second)
		ts.Clock.Advance(20 * time.Second)
		if _, err := c.ParkInfo(ctx, parkInfo(parkA)); err != nil {
			t.Fatalf("parkInfo after the heartbeat: %v", err)
		}
		if _, err := c.EnterRecord(ctx, enter(t, parkA, eventID("ev", 1), "粤B12345", "2024-01-01 08:30:00")); err != nil {
			t.Fatalf("enterRecord after the heartbeat: %v", err)
		}
	}
	// Five minutes later, still inside the 10-minute window, with no
	// heartbeat in between: the client logs in again and is still on time.
	local.Advance(5 * time.Minute)
	ts.Clock.Advance(5 * time.Minute)
	if _, err := c.EnterRecord(ctx, enter(t, parkA, eventID("ev", 2), "粤B12346", "2024-01-01 09:00:00")); err != nil {
		t.Fatalf("enterRecord 5 min later: %v", err)
	}
	if got := c.ClockOffset(); got != time.Hour {
		t.Errorf("ClockOffset = %v after re-login, want 1h", got)
	}
}

// When the token expires (no heartbeat for 3 intervals) the next call is
// refused with code 5, and the client logs in again and repeats it; calls
// that meet the expiry together share one login.
func TestReloginAfterTokenExpiry(t *testing.T) {
	ts := startPlatform(t, false)
	c := newClient(t, ts)
	ctx := context.Background()
	registerPark(t, c, parkA)
	old := c.Token()
	if len(old) != 32 {
		t.Fatalf("token %q", old)
	}

	ts.Clock.Advance(3*30*time.Second + time.Second)
	if _, err := c.EnterRecord(ctx, enter(t, parkA, eventID("ev", 1), "粤B12345", "2024-01-01 08:00:00")); err != nil {
		t.Fatalf("enterRecord after the token expired: %v", err)
	}
	fresh := c.Token()
	if fresh == old || len(fresh) != 32 {
		t.Fatalf("token after re-login %q (old %q)", fresh, old)
	}
	beat := []protocol.HeartbeatRequest{{RequestTime: protocol.NewDateTime(ts.Clock.Now())}}
	if resp := ts.Post(t, protocol.HeartBeats, old, beat); resp.Code != protocol.CodeToken {
		t.Errorf("heartbeat with the expired token: code %d, want 5", resp.Code)
	}
	if resp := ts.Post(t, protocol.HeartBeats, fresh, beat); resp.Code != protocol.CodeOK {
		t.Errorf("heartbeat with the new token: code %d %s", resp.Code, resp.Message)
	}

	// Expire it again, with the sweeper run; eight calls meet the refusal.
	ts.Clock.Advance(3*30*time.Second + time.Second)
	if err := ts.Sessions.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = c.EnterRecord(ctx, enter(t, parkA, eventID("par", i), plateNo(i), "2024-01-01 08:01:00"))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d after the second expiry: %v", i, err)
		}
	}
	if third := c.Token(); third == fresh || len(third) != 32 {
		t.Errorf("token after the second re-login %q", third)
	}
}

// A refusal is an *Error with the appendix-A code and the platform's
// message; CodeOf reads the code of any error.
func TestErrorsCarryCode(t *testing.T) {
	ts := startPlatform(t, false)
	c := newClient(t, ts)
	ctx := context.Background()
	registerPark(t, c, parkA)

	_, err := c.EnterRecord(ctx, enter(t, parkX, eventID("ev", 1), "粤B12345", "2024-01-01 07:00:00"))
	if got := client.CodeOf(err); got != protocol.CodeNoPark {
		t.Fatalf("enterRecord for an unknown park: %v, want code 1101", err)
	}
	var ce *client.Error
	if !errors.As(err, &ce) {
		t.Fatalf("%T is not a *client.Error", err)
	}
	if ce.Interface != protocol.EnterRecordCode || ce.Code != protocol.CodeNoPark ||
		!strings.HasPrefix(ce.Message, "车场不存在: data[0].parkCode") {
		t.Errorf("error %+v", ce)
	}
	if !strings.Contains(err.Error(), "enterRecord: code 1101: 车场不存在") {
		t.Errorf("Error() = %q", err.Error())
	}
	if !client.IsRejection(err) {
		t.Error("IsRejection(1101) = false")
	}

	_, err = c.EnterRecord(ctx, enter(t, parkA, eventID("ev", 1), "", "2024-01-01 07:00:00"))
	if !errors.As(err, &ce) || ce.Code != protocol.CodeParam || !strings.HasPrefix(ce.Message, "参数错误: data[0].plateNo") {
		t.Errorf("enterRecord without a plate: %v, want 4 on data[0].plateNo", err)
	}
	if !client.IsRejection(err) {
		t.Error("IsRejection of a missing field = false")
	}

	bad := parkInfo(parkB)
	bad.AreaCode = "999999"
	_, err = c.ParkInfo(ctx, bad)
	if !errors.As(err, &ce) || ce.Code != protocol.CodeRange || !strings.Contains(ce.Message, "data[0].areaCode") {
		t.Errorf("parkInfo with an areaCode outside appendix F: %v, want 1007 on data[0].areaCode", err)
	}

	wrong, err := client.New(client.Config{BaseURL: ts.URL, UserID: userID, Password: "not-the-password", HTTPClient: ts.Client, Now: ts.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	err = wrong.Login(ctx)
	if !errors.As(err, &ce) || ce.Code != protocol.CodeLogin || ce.Interface != protocol.Login ||
		!strings.HasPrefix(ce.Message, "用户名或密码错误") {
		t.Errorf("login with a wrong password: %v, want 3001", err)
	}
	if _, err := wrong.EnterRecord(ctx, enter(t, parkA, eventID("ev", 2), "粤B12345", "2024-01-01 07:00:00")); client.CodeOf(err) != protocol.CodeLogin {
		t.Errorf("call with a wrong password: %v, want 3001", err)
	}
	if client.IsRejection(err) {
		t.Error("IsRejection(3001) = true")
	}

	down := clientFor(t, "http://"+testserver.FreeAddr(t), nil, ts.Clock.Now)
	err = down.Login(ctx)
	if err == nil || client.CodeOf(err) != protocol.CodeInternal || errors.As(err, &ce) || client.IsRejection(err) {
		t.Errorf("login to nowhere: %v (code %d)", err, client.CodeOf(err))
	}
	if client.CodeOf(nil) != protocol.CodeOK {
		t.Error("CodeOf(nil) != 0")
	}
	if got := client.CodeOf(protocol.Errorf(protocol.CodeNoReservable, "full")); got != protocol.CodeNoReservable {
		t.Errorf("CodeOf(*protocol.Error 1501) = %d", got)
	}
}
