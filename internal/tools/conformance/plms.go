package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/parkd/parkd/protocol"
)

// PLMSConfig says which parking system's downlink receiver to check.
type PLMSConfig struct {
	// URL is the receiver's callback base, e.g. https://plms.example:9443
	// (a trailing /dataReceive/v1 is accepted): the checks POST to
	// {URL}/dataReceive/v1/reservation and cancelReservation (§8).
	URL string
	// Token is the downlink token agreed at provisioning, sent in the
	// authorization header.
	Token string
	// ParkCode is the park the reservations are for; by default a random
	// Uuid per run. A real parking system likely refuses a park it does
	// not run (1101), so give it one of its own. The checks cancel the
	// orders they made.
	ParkCode string
	// HTTPClient carries the requests; nil means HTTPClient(false, "", 0).
	HTTPClient *http.Client
	// Now is the local clock (default time.Now).
	Now func() time.Time
}

// PLMS is a parking system's downlink receiver under check.
type PLMS struct {
	conn
	cfg PLMSConfig
}

// NewPLMS returns a receiver to check.
func NewPLMS(cfg PLMSConfig) (*PLMS, error) {
	base, err := baseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Token == "" {
		return nil, errors.New("the downlink token is required")
	}
	if cfg.ParkCode == "" {
		cfg.ParkCode = newID()
	} else if !isUuid(cfg.ParkCode) {
		return nil, fmt.Errorf("park code %q is not a Uuid: 32 characters of [0-9A-Za-z] (§3)", cfg.ParkCode)
	}
	if cfg.HTTPClient == nil {
		if cfg.HTTPClient, err = HTTPClient(false, "", 0); err != nil {
			return nil, err
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &PLMS{conn: conn{base: base, http: cfg.HTTPClient}, cfg: cfg}, nil
}

// Run runs checks (PLMSChecks, or a selection) in order.
func (p *PLMS) Run(ctx context.Context, checks []Check[*PLMS]) *Report {
	return run(ctx, p, checks, &Report{Mode: "plms", Target: p.base, As: "downlink token", Park: p.cfg.ParkCode})
}

// PLMSChecks returns the checks of a parking system's downlink receiver
// (docs/protocol.md §8, tables 19-22), in the order they run.
func PLMSChecks() []Check[*PLMS] {
	return []Check[*PLMS]{
		{"reservation.ok", "tables 19-20, §8", "a valid reservation is answered code 0 with [{\"bookCode\": …}] (1201 or 1501 are valid business answers)", checkReservationOK},
		{"reservation.resend", "§8", "re-sending the same bookCode is answered 1201 (already held) or 0", checkReservationResend},
		{"reservation.cancel", "tables 21-22, §8", "cancelReservation of a held order is answered code 0 with its bookCode", checkReservationCancel},
		{"downlink.token-bad", "table 27, §8", "a reservation with a wrong token is refused with 5", checkDownlinkTokenBad},
		{"downlink.token-missing", "table 27, §8", "a reservation without authorization is refused with 5", checkDownlinkTokenMissing},
		{"downlink.sign-bad", "table 28, §2, §8", "a reservation whose sign is not SM3 of data is refused with 6", checkDownlinkSignBad},
		{"downlink.json-malformed", "§2, §4", "a body that is not JSON is refused with 2", checkDownlinkMalformed},
		{"downlink.method-get", "clause 5.1 c, §1", "GET on reservation gets HTTP 405", checkDownlinkGet},
		{"reservation.field-missing", "table 19, §4", "a reservation without plateNo is refused with 4 naming data[0].plateNo", checkReservationMissing},
		{"reservation.too-long", "table 19, §3", "a plateNo of 21 characters is refused with 1004", checkReservationTooLong},
		{"reservation.dictionary", "table 19, §3", "spaceType 3 (outside 0-2) is refused with 1007", checkReservationDictionary},
	}
}

// reservationItem is a table 19 order: booked for half an hour from now,
// held 30 minutes, lapsing in two hours; bookType 1 asks the parking
// system not to check vacancy, so that it can accept.
func (p *PLMS) reservationItem() map[string]any {
	now := p.cfg.Now()
	return map[string]any{
		"parkCode":    p.cfg.ParkCode,
		"bookCode":    newID(),
		"plateNo":     newPlate(),
		"bookTime":    cstDateTime(now.Add(30 * time.Minute)),
		"overTime":    cstDateTime(now.Add(2 * time.Hour)),
		"obligatTime": 30,
		"bookType":    1,
		"spaceType":   0,
		"operateType": 1,
	}
}

// post sends items to a downlink interface, signed, with tok.
func (p *PLMS) post(ctx context.Context, iface protocol.Interface, tok string, items ...any) (*reply, error) {
	data := dataOf(items...)
	return p.postBody(ctx, iface, tok, envelopeBody(p.cfg.Now().UnixMilli(), signHex(data), data))
}

func (p *PLMS) postBody(ctx context.Context, iface protocol.Interface, tok string, body []byte) (*reply, error) {
	return p.send(ctx, request{path: iface.Path(), token: tok, body: body})
}

// wantBookCode checks an accepting answer (tables 20, 22):
// [{"bookCode": code}].
func wantBookCode(r *reply, code string) error {
	if err := r.wantOK(); err != nil {
		return err
	}
	var out []struct {
		BookCode string `json:"bookCode"`
	}
	if err := r.items(&out, 1); err != nil {
		return err
	}
	if out[0].BookCode != code {
		return fmt.Errorf("the answer's bookCode is %q, want %q (tables 20, 22)", out[0].BookCode, code)
	}
	return nil
}

// reserve sends a reservation and checks the answer is a valid business
// answer (§8): 0 with the bookCode, 1201 or 1501. It returns the code.
func (p *PLMS) reserve(ctx context.Context, item map[string]any) (protocol.Code, error) {
	r, err := p.post(ctx, protocol.ReservationCode, p.cfg.Token, item)
	if err != nil {
		return 0, err
	}
	if err := r.wantOneOf(protocol.CodeOK, protocol.CodeBookExists, protocol.CodeNoReservable); err != nil {
		return 0, err
	}
	if r.code == protocol.CodeOK {
		return r.code, wantBookCode(r, item["bookCode"].(string))
	}
	return r.code, nil
}

func checkReservationOK(ctx context.Context, p *PLMS) error {
	item := p.reservationItem()
	code, err := p.reserve(ctx, item)
	if err != nil {
		return err
	}
	if code != protocol.CodeOK {
		p.notef("answered %s, a valid business answer (§8)", code)
	}
	p.release(ctx, item)
	return nil
}

// release cancels a reservation a check made, so that a run leaves no
// order held by the parking system. Its answer is not checked.
func (p *PLMS) release(ctx context.Context, item map[string]any) {
	_, _ = p.post(ctx, protocol.CancelCode, p.cfg.Token, map[string]any{"parkCode": p.cfg.ParkCode, "bookCode": item["bookCode"]})
}

func checkReservationResend(ctx context.Context, p *PLMS) error {
	item := p.reservationItem()
	first, err := p.reserve(ctx, item)
	if err != nil {
		return err
	}
	r, err := p.post(ctx, protocol.ReservationCode, p.cfg.Token, item)
	if err != nil {
		return err
	}
	want := []protocol.Code{protocol.CodeBookExists, protocol.CodeOK}
	if first == protocol.CodeNoReservable {
		want = append(want, protocol.CodeNoReservable)
	}
	if err := r.wantOneOf(want...); err != nil {
		return fmt.Errorf("re-sending it: %w", err)
	}
	if r.code == protocol.CodeOK {
		if err := wantBookCode(r, item["bookCode"].(string)); err != nil {
			return err
		}
	}
	p.release(ctx, item)
	return nil
}

func checkReservationCancel(ctx context.Context, p *PLMS) error {
	item := p.reservationItem()
	first, err := p.reserve(ctx, item)
	if err != nil {
		return err
	}
	code := item["bookCode"].(string)
	r, err := p.post(ctx, protocol.CancelCode, p.cfg.Token, map[string]any{"parkCode": p.cfg.ParkCode, "bookCode": code})
	if err != nil {
		return err
	}
	if first == protocol.CodeNoReservable {
		// Refused for lack of space, the order may be unknown to it.
		if err := r.wantOneOf(protocol.CodeOK, protocol.CodeNoReservation); err != nil {
			return err
		}
		p.notef("the reservation was answered 1501, so 1104 for its cancellation is accepted")
		if r.code != protocol.CodeOK {
			return nil
		}
	}
	return wantBookCode(r, code)
}

func checkDownlinkTokenBad(ctx context.Context, p *PLMS) error {
	r, err := p.post(ctx, protocol.ReservationCode, p.cfg.Token+"x", p.reservationItem())
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeToken, "")
}

func checkDownlinkTokenMissing(ctx context.Context, p *PLMS) error {
	r, err := p.post(ctx, protocol.ReservationCode, "", p.reservationItem())
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeToken, "")
}

func checkDownlinkSignBad(ctx context.Context, p *PLMS) error {
	data := dataOf(p.reservationItem())
	r, err := p.postBody(ctx, protocol.ReservationCode, p.cfg.Token,
		envelopeBody(p.cfg.Now().UnixMilli(), signHex(append(slices.Clone(data), ' ')), data))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeSign, "")
}

func checkDownlinkMalformed(ctx context.Context, p *PLMS) error {
	body := fmt.Sprintf(`{"timestamp":%d,"sign":"%064d","version":"1.0.0","data":[{"parkCode":`, p.cfg.Now().UnixMilli(), 0)
	r, err := p.postBody(ctx, protocol.ReservationCode, p.cfg.Token, []byte(body))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeFormat, "")
}

func checkDownlinkGet(ctx context.Context, p *PLMS) error {
	r, err := p.send(ctx, request{method: http.MethodGet, path: protocol.ReservationCode.Path(), token: p.cfg.Token})
	if err != nil {
		return err
	}
	if r.status != http.StatusMethodNotAllowed {
		return fmt.Errorf("answered %s, want HTTP 405 (§1)", r)
	}
	return nil
}

// reserveWith sends a reservation changed by edit.
func (p *PLMS) reserveWith(ctx context.Context, edit func(map[string]any)) (*reply, error) {
	item := p.reservationItem()
	edit(item)
	return p.post(ctx, protocol.ReservationCode, p.cfg.Token, item)
}

func checkReservationMissing(ctx context.Context, p *PLMS) error {
	r, err := p.reserveWith(ctx, func(m map[string]any) { delete(m, "plateNo") })
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeParam, "data[0].plateNo")
}

func checkReservationTooLong(ctx context.Context, p *PLMS) error {
	r, err := p.reserveWith(ctx, func(m map[string]any) { m["plateNo"] = plate21 })
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeTooLong, "data[0].plateNo")
}

func checkReservationDictionary(ctx context.Context, p *PLMS) error {
	r, err := p.reserveWith(ctx, func(m map[string]any) { m["spaceType"] = 3 })
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeRange, "data[0].spaceType")
}
