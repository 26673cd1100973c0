package conformance

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/protocol"
)

// PlatformConfig says which platform to check and as whom.
type PlatformConfig struct {
	// URL is the platform's base address, e.g. https://platform.example:8443
	// (a trailing /dataReceive/v1 is accepted).
	URL string
	// UserID and Password are an account the operator issued; Password is
	// the plaintext (sent as Base64(SM3(plaintext)), table 2).
	UserID   string
	Password string
	// ParkCode, when set, is an existing park of the account that the
	// record checks write to; it is not re-reported, so its registration
	// is left alone. By default each run registers a new park with a
	// random code.
	ParkCode string
	// OffPeakUserID and OffPeakPassword, when set, are an account with the
	// off-peak role that OffPeakChecks use (docs/offpeak.md).
	OffPeakUserID   string
	OffPeakPassword string
	// LockoutUserID and LockoutPassword are an expendable account for the
	// lock-out check (login.lockout): it fails five logins and is then
	// locked out from this address for the platform's lock-out time (§5:
	// 15 minutes by default). It must not be UserID. Without it the check
	// is skipped, as a locked login is code 3001 like a wrong password and
	// so shows only on an account whose password is known.
	LockoutUserID   string
	LockoutPassword string
	// MaxBody is the platform's largest JSON body in bytes (parkd serve
	// --max-body; default 1 MiB): the body.too-large check sends one byte
	// more.
	MaxBody int64
	// HTTPClient carries the requests; nil means HTTPClient(false, "", 0).
	HTTPClient *http.Client
	// MaxClockSkew bounds how far the heartBeats timestamp may be from the
	// local clock (default 5 minutes).
	MaxClockSkew time.Duration
	// Now is the local clock (default time.Now).
	Now func() time.Time
	// City, when set, is the deployment's city (parkd serve --city): the
	// checks' parks and entrances take its first region code and its map
	// centre instead of Shenzhen's Futian.
	City *city.City
}

// Platform is a platform under check: its address and account, and what
// the checks share (a session, the clock offset, the run's park).
type Platform struct {
	conn
	cfg PlatformConfig

	token    string
	lastBeat time.Time
	offset   time.Duration // platform clock minus local clock
	setupErr error         // a failed login of the shared session, kept so it is not retried

	park    string
	parkErr error
	// live are the parks this run registered (parkCode -> the last item
	// the platform took), closed at the end of Run.
	live    map[string]map[string]any
	offPeak offPeakState // what the off-peak checks share
	// setupX are the exchanges of the failed setup, shown again by every
	// check that needed it.
	setupX []Exchange
}

// setupFailed records a failed setup: its error and the exchanges since
// mark, and returns the error for the check in progress.
func (p *Platform) setupFailed(dst *error, mark int, err error) error {
	*dst = err
	p.setupX = slices.Clone(p.exchanges[mark:])
	return fmt.Errorf("setup: %w", err)
}

// earlier fails a check with a setup failure of an earlier check.
func (p *Platform) earlier(err error) error {
	p.exchanges = append(p.exchanges, p.setupX...)
	return fmt.Errorf("setup failed earlier: %w", err)
}

// NewPlatform returns a platform to check.
func NewPlatform(cfg PlatformConfig) (*Platform, error) {
	base, err := baseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.UserID == "" || cfg.Password == "" {
		return nil, errors.New("a user id and a password are required")
	}
	if cfg.LockoutUserID != "" && (cfg.LockoutUserID == cfg.UserID || cfg.LockoutPassword == "") {
		return nil, errors.New("the lock-out account needs its password and must not be the account under check")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.ParkCode != "" && !isUuid(cfg.ParkCode) {
		return nil, fmt.Errorf("park code %q is not a Uuid: 32 characters of [0-9A-Za-z] (§3)", cfg.ParkCode)
	}
	if cfg.HTTPClient == nil {
		if cfg.HTTPClient, err = HTTPClient(false, "", 0); err != nil {
			return nil, err
		}
	}
	if cfg.MaxClockSkew <= 0 {
		cfg.MaxClockSkew = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Platform{conn: conn{base: base, http: cfg.HTTPClient}, cfg: cfg, live: map[string]map[string]any{}}, nil
}

// DefaultMaxBody is parkd's default largest JSON body (§2: 1 MiB).
const DefaultMaxBody = 1 << 20

// Run runs checks (PlatformChecks, or a selection) in order, then closes
// the parks the run registered (re-reported with bizStatus 0, so that
// they leave the platform's public information), whether the checks
// passed or not, and even when ctx was cancelled.
func (p *Platform) Run(ctx context.Context, checks []Check[*Platform]) *Report {
	rep := run(ctx, p, checks, &Report{Mode: "platform", Target: p.base, As: p.cfg.UserID})
	rep.Cleanup = p.closeParks(context.WithoutCancel(ctx))
	rep.Park = p.cfg.ParkCode
	if rep.Park == "" {
		rep.Park = p.park
	}
	return rep
}

// now is the platform's time as estimated from the last heartbeat.
func (p *Platform) now() time.Time { return p.cfg.Now().Add(p.offset) }

// stamp is the envelope timestamp of a request sent now.
func (p *Platform) stamp() int64 { return p.now().UnixMilli() }

// post sends a JSON body to an uplink interface.
func (p *Platform) post(ctx context.Context, iface protocol.Interface, token string, body []byte) (*reply, error) {
	return p.send(ctx, request{path: iface.Path(), token: token, body: body})
}

// postData sends data in a correctly stamped and signed envelope.
func (p *Platform) postData(ctx context.Context, iface protocol.Interface, token string, data []byte) (*reply, error) {
	return p.post(ctx, iface, token, envelopeBody(p.stamp(), signHex(data), data))
}

// postItems sends items in a correctly stamped and signed envelope. The
// parks of a parkInfo the platform takes are remembered, to be closed at
// the end of the run.
func (p *Platform) postItems(ctx context.Context, iface protocol.Interface, token string, items ...any) (*reply, error) {
	r, err := p.postData(ctx, iface, token, dataOf(items...))
	if err == nil && iface == protocol.ParkInfoCode && r.envelope() == nil && r.code == protocol.CodeOK {
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				if code, _ := m["parkCode"].(string); code != "" {
					p.live[code] = maps.Clone(m)
				}
			}
		}
	}
	return r, err
}

// closeParks re-reports every park the run registered with bizStatus 0,
// in a session of its own (the shared one may have failed), within 30 s.
func (p *Platform) closeParks(ctx context.Context) *Cleanup {
	if len(p.live) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c := &Cleanup{Closed: slices.Sorted(maps.Keys(p.live))}
	p.setupErr, p.token = nil, ""
	tok, err := p.session(ctx)
	if err != nil {
		c.Error = fmt.Sprintf("closing the run's parks: %v", err)
		return c
	}
	for chunk := range slices.Chunk(c.Closed, protocol.DefaultMaxItems) {
		items := make([]any, len(chunk))
		for i, code := range chunk {
			item := maps.Clone(p.live[code])
			item["bizStatus"] = int(protocol.BizDisabled)
			items[i] = item
		}
		r, err := p.postData(ctx, protocol.ParkInfoCode, tok, dataOf(items...))
		if err == nil {
			err = r.wantOK()
		}
		if err != nil {
			c.Error = fmt.Sprintf("closing the run's parks: %v", err)
			return c
		}
	}
	return c
}

// session returns the shared access token: logged in on first use, kept
// alive with a heartbeat when it has not been used for a while, and
// replaced by a new login when refused. The heartbeat also learns the
// platform's clock, so that later timestamps fall inside its window (§2).
func (p *Platform) session(ctx context.Context) (string, error) {
	if p.setupErr != nil {
		return "", p.earlier(p.setupErr)
	}
	if p.token != "" && time.Since(p.lastBeat) < 20*time.Second {
		return p.token, nil
	}
	if p.token != "" {
		if err := p.beat(ctx, p.token); err == nil {
			return p.token, nil
		}
		p.token = ""
	}
	mark := len(p.exchanges)
	tok, err := p.login(ctx, p.cfg.UserID, protocol.PasswordDigest(p.cfg.Password), p.stamp())
	if err != nil {
		return "", p.setupFailed(&p.setupErr, mark, fmt.Errorf("logging in as %s: %w", p.cfg.UserID, err))
	}
	if err := p.beat(ctx, tok); err != nil {
		return "", fmt.Errorf("setup: first heartbeat: %w", err)
	}
	p.token = tok
	return tok, nil
}

// login sends one login and returns the accessToken of a code 0 answer.
func (p *Platform) login(ctx context.Context, userID, password string, ts int64) (string, error) {
	data := dataOf(loginItem(userID, password))
	r, err := p.post(ctx, protocol.Login, "", envelopeBody(ts, signHex(data), data))
	if err != nil {
		return "", err
	}
	if err := r.wantOK(); err != nil {
		return "", err
	}
	var out []struct {
		AccessToken string `json:"accessToken"`
	}
	if err := r.items(&out, 1); err != nil {
		return "", err
	}
	if out[0].AccessToken == "" {
		return "", errors.New("the answer has no accessToken (table 3)")
	}
	return out[0].AccessToken, nil
}

// beat sends a heartbeat with tok and learns the clock offset from it.
func (p *Platform) beat(ctx context.Context, tok string) error {
	sent := p.cfg.Now()
	r, err := p.postItems(ctx, protocol.HeartBeats, tok, heartbeatItem(p.now()))
	if err != nil {
		return err
	}
	ts, err := heartbeatTime(r)
	if err != nil {
		return err
	}
	recv := p.cfg.Now()
	p.offset = ts.Sub(sent.Add(recv.Sub(sent) / 2))
	p.lastBeat = recv
	return nil
}

// heartbeatTime returns the platform time of a heartBeats answer (table 5).
func heartbeatTime(r *reply) (time.Time, error) {
	if err := r.wantOK(); err != nil {
		return time.Time{}, err
	}
	var out []struct {
		Timestamp *int64 `json:"timestamp"`
	}
	if err := r.items(&out, 1); err != nil {
		return time.Time{}, err
	}
	if out[0].Timestamp == nil || *out[0].Timestamp <= 0 {
		return time.Time{}, errors.New("the answer has no timestamp in ms (table 5)")
	}
	return time.UnixMilli(*out[0].Timestamp), nil
}

// runPark returns the session token and the park the record checks write
// to: the configured one, or one registered for this run.
func (p *Platform) runPark(ctx context.Context) (string, string, error) {
	tok, err := p.session(ctx)
	if err != nil {
		return "", "", err
	}
	if p.cfg.ParkCode != "" {
		return tok, p.cfg.ParkCode, nil
	}
	if p.parkErr != nil {
		return "", "", p.earlier(p.parkErr)
	}
	if p.park == "" {
		code := newID()
		mark := len(p.exchanges)
		if _, err := p.registerPark(ctx, tok, code); err != nil {
			return "", "", p.setupFailed(&p.parkErr, mark, fmt.Errorf("registering the run's park %s: %w", code, err))
		}
		p.park = code
	}
	return tok, p.park, nil
}

// registerPark reports a new park and returns its isvParkId.
func (p *Platform) registerPark(ctx context.Context, tok, code string) (string, error) {
	r, err := p.postItems(ctx, protocol.ParkInfoCode, tok, p.placed(parkItem(code)))
	if err != nil {
		return "", err
	}
	return parkInfoID(r, code)
}

// parkInfoID checks a parkInfo answer (table 8) and returns its isvParkId.
func parkInfoID(r *reply, code string) (string, error) {
	if err := r.wantOK(); err != nil {
		return "", err
	}
	var out []struct {
		ParkCode  string `json:"parkCode"`
		IsvParkID string `json:"isvParkId"`
	}
	if err := r.items(&out, 1); err != nil {
		return "", err
	}
	if out[0].ParkCode != code {
		return "", fmt.Errorf("the answer's parkCode is %q, want %q (table 8)", out[0].ParkCode, code)
	}
	if !isHex32(out[0].IsvParkID) {
		return "", fmt.Errorf("the answer's isvParkId %q is not 32 lowercase hex (table 8, §3)", out[0].IsvParkID)
	}
	return out[0].IsvParkID, nil
}

// replenishPage asks for one page of replenishCarInfo (table 25).
func (p *Platform) replenishPage(ctx context.Context, tok, park string, day time.Time, page, size int) (*reply, []string, error) {
	r, err := p.postItems(ctx, protocol.ReplenishCode, tok, replenishItem(park, day, page, size))
	if err != nil {
		return nil, nil, err
	}
	if r.envelope() != nil || r.code != protocol.CodeOK {
		return r, nil, nil
	}
	var out []struct {
		ParkCode    string    `json:"parkCode"`
		PlateNoList *[]string `json:"plateNoList"`
	}
	if err := r.items(&out, 1); err != nil {
		return r, nil, err
	}
	if out[0].PlateNoList == nil {
		return r, nil, errors.New("the answer has no plateNoList array (table 26)")
	}
	if out[0].ParkCode != park {
		return r, nil, fmt.Errorf("the answer's parkCode is %q, want %q (table 26)", out[0].ParkCode, park)
	}
	return r, *out[0].PlateNoList, nil
}

// replenishAll lists every plate replenishCarInfo gives for day, walking
// pages of 50 until a short page or a page past the last (1107).
func (p *Platform) replenishAll(ctx context.Context, tok, park string, day time.Time) ([]string, error) {
	var all []string
	for page := 1; page <= 40; page++ {
		r, plates, err := p.replenishPage(ctx, tok, park, day, page, protocol.MaxPageSize)
		if err != nil {
			return nil, err
		}
		if page > 1 && r.envelope() == nil && r.code == protocol.CodeNoPage {
			return all, nil
		}
		if err := r.wantOK(); err != nil {
			return nil, fmt.Errorf("replenishCarInfo %s page %d: %w", cstDate(day), page, err)
		}
		all = append(all, plates...)
		if len(plates) < protocol.MaxPageSize {
			return all, nil
		}
	}
	return all, nil
}

// recordDay returns a random CST day between 30 and 3,000 days before the
// platform's today, so that a run's replenish queries meet only its own
// records even when it reuses a park (--park-code).
func (p *Platform) recordDay() time.Time {
	y, m, d := p.now().In(protocol.CST).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, protocol.CST).AddDate(0, 0, -30-randInt(2970))
}

// Items of the requests, written from the tables of the standard with its
// field names (typos included), independently of the protocol package's
// types so that a wrong name there would show here.

func loginItem(userID, password string) map[string]any {
	return map[string]any{"userId": userID, "password": password}
}

func heartbeatItem(t time.Time) map[string]any {
	return map[string]any{"requestTime": cstDateTime(t)}
}

// parkItem is a table 6 park, not reservable, named for what it is.
func parkItem(code string) map[string]any {
	return map[string]any{
		"parkName":                     "parkcheck 一致性检查 " + code[:8],
		"parkCode":                     code,
		"permitNo":                     "",
		"parkType":                     1,
		"address":                      "深圳市福田区福华路1号",
		"longitude":                    114.0579,
		"latitude":                     22.5431,
		"areaCode":                     "440304",
		"serviceType":                  4,
		"bizStatus":                    1,
		"totalSpaces":                  100,
		"totalCharingSpaces":           0,
		"reservable":                   0,
		"reservableSpaces":             0,
		"totalReservableCharingSpaces": 0,
		"imageId":                      newID(),
		"publicInfos": []map[string]any{
			{"type": 1, "startTime": "00:00:00", "endTime": "23:59:59"},
		},
	}
}

// placed moves a park or entrance item into the configured city: its
// first region code (in code order) and its map centre.
func (p *Platform) placed(item map[string]any) map[string]any {
	c := p.cfg.City
	if c == nil {
		return item
	}
	if _, ok := item["areaCode"]; ok {
		codes := make([]string, 0, len(c.Regions))
		for code := range c.Regions {
			codes = append(codes, code)
		}
		slices.Sort(codes)
		if len(codes) > 0 {
			item["areaCode"] = codes[0]
		}
	}
	item["longitude"], item["latitude"] = c.Center.Lng, c.Center.Lat
	return item
}

// entranceItem is a table 9 entrance.
func entranceItem(park, code, name string) map[string]any {
	return map[string]any{"parkCode": park, "name": name, "entranceExitCode": code, "type": 3,
		"longitude": 114.058, "latitude": 22.5432, "status": 1}
}

// enterItem is a table 11 entry.
func enterItem(park, id, plate string, at time.Time) map[string]any {
	return map[string]any{"parkCode": park, "id": id, "plateNo": plate, "enterTime": cstDateTime(at),
		"entryCarPhotoId": newID(), "entranceCode": "GATE01", "entranceName": "北门入口"}
}

// exitItem is a table 13 exit.
func exitItem(park, id, plate string, at time.Time) map[string]any {
	return map[string]any{"parkCode": park, "id": id, "plateNo": plate, "leaveTime": cstDateTime(at),
		"exitCarPhotoId": newID(), "exitCode": "GATE02", "exitName": "南门出口"}
}

// spaceItem is a consistent table 17 vacancy for a park of parkItem.
func spaceItem(park string) map[string]any {
	return map[string]any{"parkCode": park, "usedStalls": 10, "reservedStalls": 0, "usedCharingStalls": 0,
		"unusedStalls": 90, "unusedReservableStalls": 0, "unusedCharingStalls": 0}
}

// replenishItem is a table 25 query.
func replenishItem(park string, day time.Time, page, size int) map[string]any {
	return map[string]any{"parkCode": park, "queryDate": cstDate(day), "currentPage": page, "pageSize": size}
}

// cstDateTime and cstDate write table 1's DateTime and Date in CST (§3).
func cstDateTime(t time.Time) string { return t.In(protocol.CST).Format(protocol.DateTimeLayout) }

func cstDate(t time.Time) string { return t.In(protocol.CST).Format(protocol.DateLayout) }

func isHex32(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isUuid reports whether s is a Uuid of §3: 32 characters of [0-9A-Za-z].
func isUuid(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", c) {
			return false
		}
	}
	return true
}
