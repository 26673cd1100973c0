package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parkd/parkd/protocol"
)

// PlatformChecks returns the checks of a platform's uplink interfaces, in
// the order they run: sessions and transport, the envelope, field
// validation, parks, records, pictures, vacancy and the replenish list.
func PlatformChecks() []Check[*Platform] {
	return []Check[*Platform]{
		// Login, heartbeats, tokens (tables 2-5, §5).
		{"login.ok", "tables 2-3, §5", "login answers code 0 with a 32-character lowercase-hex accessToken that heartBeats accepts", checkLoginOK},
		{"login.bad-password", "table 2, §4", "a wrong password is refused with 3001", checkLoginBadPassword},
		{"login.unknown-user", "table 2, §4", "an unknown userId is refused with 3001", checkLoginUnknownUser},
		{"login.lockout", "§5", "after five failed logins in a row, the right password is refused with 3001 too (locked out), on the expendable account of --lockout-user-id", checkLoginLockout},
		{"heartbeat.clock", "tables 4-5", "heartBeats answers code 0 with the platform's time in ms, near our clock", checkHeartbeatClock},
		{"envelope.shape", "table 29, §2, §4", "answers carry code, the appendix-A message, a ms timestamp and a data array (empty on error)", checkEnvelopeShape},
		{"token.missing", "table 27, §4", "a request without authorization is refused with 5", checkTokenMissing},
		{"token.unknown", "table 27, §4", "a request with an unknown token is refused with 5", checkTokenUnknown},
		{"token.bearer", "§1", "the token is also accepted as \"Bearer <token>\"", checkTokenBearer},
		// Envelope (table 28, §1-§2).
		{"sign.bad", "table 28, §2, §4", "a sign that is not SM3 of data is refused with 6", checkSignBad},
		{"sign.uppercase", "§2", "a sign in uppercase hex is accepted", checkSignUpper},
		{"sign.base64", "§2", "a sign as Base64 of the SM3 digest is accepted", checkSignBase64},
		{"sign.pretty-printed", "§2", "pretty-printed data signed in its compact form is accepted", checkSignPretty},
		{"json.malformed", "§2, §4", "a body that is not JSON is refused with 2", checkMalformedJSON},
		{"body.too-large", "§2, §4", "a JSON body one byte over the platform's limit (--max-body, default 1 MiB) is refused with 2", checkBodyTooLarge},
		{"interface.unknown", "table 30, §1", "an unknown interface code gets HTTP 404 with an envelope of code 2", checkUnknownInterface},
		{"interface.case-sensitive", "table 30, §1", "interface codes are case-sensitive: /HeartBeats gets HTTP 404, code 2", checkInterfaceCase},
		{"method.get", "clause 5.1 c, §1", "GET on an interface gets HTTP 405", checkMethodGet},
		{"data.empty", "§2", "a request whose data has no items is refused with 4", checkDataEmpty},
		{"data.single-object", "§2", "a single object as data is taken as a one-item array", checkDataSingleObject},
		{"timestamp.window", "table 28, §2", "an enterRecord stamped a day away from platform time is refused with 4", checkTimestampWindow},
		{"timestamp.login-exempt", "§2", "a login stamped a day ago is accepted (exempt from the window)", checkTimestampLoginExempt},
		{"timestamp.heartbeat-exempt", "§2", "a heartBeats stamped a day ago is accepted (exempt from the window)", checkTimestampHeartbeatExempt},
		// Field validation (§3-§4, appendix A).
		{"field.missing", "table 11, §4", "an enterRecord without plateNo is refused with 4 naming data[0].plateNo", checkFieldMissing},
		{"field.wrong-type", "table 11, §3", "a plateNo that is a JSON number is refused with 1005", checkFieldWrongType},
		{"field.too-long", "table 11, §3", "a plateNo of 21 characters is refused with 1004", checkFieldTooLong},
		{"field.length-in-characters", "table 11, §3", "a plateNo of 20 characters (30 UTF-8 bytes) is accepted: lengths count characters", checkLengthInCharacters},
		{"field.unparseable", "tables 1, 11, §3", "an enterTime that is not a DateTime is refused with 1005", checkFieldUnparseable},
		{"field.dictionary", "table 11, appendix D, §3", "a carColor outside appendix D (9) is refused with 1007", checkFieldDictionary},
		{"error.message-form", "§4", "an error message is the appendix-A text, \": \" and the field path", checkErrorMessageForm},
		// Parks and entrances (tables 6-10, §5).
		{"parkinfo.ok", "tables 6, 8", "a new park is answered with its parkCode and a 32-hex isvParkId", checkParkInfoOK},
		{"parkinfo.same-isvparkid", "table 8, §5", "re-reporting a park, unchanged or changed, returns the same isvParkId", checkParkInfoSameID},
		{"parkinfo.area-code", "table 6, appendix F, §3", "an areaCode outside appendix F is refused with 1007", checkParkInfoAreaCode},
		{"entrance.stable-id", "tables 9-10, §5", "re-reporting an entrance returns the same 32-character id", checkEntranceStableID},
		// Records (tables 11-14, §2, §5).
		{"enter.ok", "tables 11-12", "an enterRecord is answered code 0 with its id", checkEnterOK},
		{"enter.idempotent", "§5", "re-sending an identical enterRecord is a success with the same id", checkEnterIdempotent},
		{"exit.ok", "tables 13-14", "an exitRecord after its entry is answered code 0 with its id", checkExitOK},
		{"exit.idempotent", "§5", "re-sending an identical exitRecord is a success with the same id", checkExitIdempotent},
		{"exit.without-entry", "§5", "an exitRecord whose entry never came is accepted", checkExitWithoutEntry},
		{"exit.before-entry", "§5, §4", "an exit whose leaveTime is before its entry's enterTime is refused with 1007", checkExitBeforeEntry},
		{"enter.after-its-exit", "§5, §4", "an entry that arrives after its exit, with an enterTime later than the leaveTime, is refused with 1007 naming enterTime", checkEnterAfterItsExit},
		{"record.unknown-park", "§5, §4", "a record for a park the account never reported is refused with 1101", checkUnknownPark},
		{"batch.results-in-order", "§2", "a batch is answered with one result per item, in request order", checkBatchOrder},
		{"batch.atomic", "§2, §5", "a batch with one bad item is refused naming data[i], and none of its items is stored", checkBatchAtomic},
		// Pictures (tables 15-16, §6).
		{"picture.ok", "tables 15-16, §6", "a 150 KB JPEG is accepted", checkPictureOK},
		{"picture.max-size", "table 15, §6", "a JPEG of exactly 512,000 bytes is accepted", checkPictureMaxSize},
		{"picture.too-large", "table 15, §6", "a JPEG of 512,001 bytes is refused with 1007", checkPictureTooLarge},
		{"picture.not-image", "table 15, §6", "a file that is neither JPEG nor PNG is refused with 1005", checkPictureNotImage},
		{"picture.bad-sign", "§6", "a picture whose sign is not SM3 of the file is refused with 6", checkPictureBadSign},
		// Vacancy, plate lists, replenish (tables 17-18, 23-26, §5).
		{"parkspace.ok", "tables 17-18", "parkSpaceInfo is answered code 0", checkParkSpaceOK},
		{"parkspace.negative", "table 17, §5", "a negative count is refused with 1007", checkParkSpaceNegative},
		{"parkcar.ok", "tables 23-24", "parkCarInfo is answered code 0 with the parkCode", checkParkCarOK},
		{"replenish.page-size", "table 25, §5", "pageSize 51 or 0 is refused with 1007", checkReplenishPageSize},
		{"replenish.empty-day", "table 26, §5", "the first page of a day with nothing to re-report is code 0 with an empty plateNoList", checkReplenishEmptyDay},
		{"replenish.exit-without-entry", "table 26, §3, §5", "an exit without entry is listed under its leaveTime's CST date, a complete visit is not", checkReplenishExitWithoutEntry},
		{"replenish.page-past-last", "table 25, §5", "pages hold at most pageSize plates, and the page past the last is refused with 1107", checkReplenishPastLast},
		{"plate.normalised", "§3", "plates are trimmed and upper-cased: \" 粤b…\" is listed as \"粤B…\"", checkPlateNormalised},
	}
}

// dayAgo is far enough outside any sane timestamp window (§2: default
// 10 minutes, configurable).
const dayAgo = 24 * time.Hour

// --- login, heartbeats, tokens ---

func checkLoginOK(ctx context.Context, p *Platform) error {
	tok, err := p.login(ctx, p.cfg.UserID, protocol.PasswordDigest(p.cfg.Password), p.stamp())
	if err != nil {
		return err
	}
	if !isHex32(tok) {
		return fmt.Errorf("accessToken %q is not 32 lowercase hex digits (table 3, §5)", tok)
	}
	r, err := p.postItems(ctx, protocol.HeartBeats, tok, heartbeatItem(p.now()))
	if err != nil {
		return err
	}
	if err := r.wantOK(); err != nil {
		return fmt.Errorf("a heartbeat with the new token: %w", err)
	}
	return nil
}

func checkLoginBadPassword(ctx context.Context, p *Platform) error {
	r, err := p.postItems(ctx, protocol.Login, "", loginItem(p.cfg.UserID, protocol.PasswordDigest(p.cfg.Password+"#parkcheck")))
	if err != nil {
		return err
	}
	if err := r.wantCode(protocol.CodeLogin, ""); err != nil {
		return err
	}
	// A successful login resets the failed-login count (§5), so that
	// running this check again and again never locks the account out. It
	// is the shared session's, fresh, so that a wrong configured password
	// is tried once and not again by later checks.
	p.token = ""
	_, _ = p.session(ctx)
	return nil
}

// lockoutFailures is how many failed logins in a row lock a userId out
// from one address (§5).
const lockoutFailures = 5

func checkLoginLockout(ctx context.Context, p *Platform) error {
	user, password := p.cfg.LockoutUserID, p.cfg.LockoutPassword
	if user == "" {
		return skip("needs an expendable account (--lockout-user-id and --lockout-password-file): a locked login is code 3001 like a wrong password (§5), " +
			"so a lock-out shows only on an account whose password is known, and the account under check is never locked out")
	}
	login := func(pw string) (*reply, error) {
		return p.postItems(ctx, protocol.Login, "", loginItem(user, protocol.PasswordDigest(pw)))
	}
	r, err := login(password)
	if err != nil {
		return err
	}
	if err := r.wantOK(); err != nil {
		return fmt.Errorf("the lock-out account %s does not log in before the check (locked out by an earlier run within the lock-out time?): %w", user, err)
	}
	for i := range lockoutFailures {
		r, err := login(password + "#parkcheck")
		if err != nil {
			return err
		}
		if err := r.wantCode(protocol.CodeLogin, ""); err != nil {
			return fmt.Errorf("failed login %d of %d: %w", i+1, lockoutFailures, err)
		}
	}
	if r, err = login(password); err != nil {
		return err
	}
	if err := r.wantCode(protocol.CodeLogin, ""); err != nil {
		return fmt.Errorf("after %d failed logins the right password was not refused: %w (§5: the userId is locked out from this address)", lockoutFailures, err)
	}
	p.notef("%s is locked out from this address for the platform's lock-out time (§5: 15 minutes by default)", user)
	return nil
}

func checkLoginUnknownUser(ctx context.Context, p *Platform) error {
	user := "parkcheck" + newID()[:16]
	r, err := p.postItems(ctx, protocol.Login, "", loginItem(user, protocol.PasswordDigest(p.cfg.Password)))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeLogin, "")
}

func checkHeartbeatClock(ctx context.Context, p *Platform) error {
	tok, err := p.session(ctx)
	if err != nil {
		return err
	}
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
	skew := ts.Sub(sent.Add(recv.Sub(sent) / 2))
	if skew.Abs() > p.cfg.MaxClockSkew {
		return fmt.Errorf("the platform's clock reads %s CST, %s (more than %s)", cstDateTime(ts), skewText(skew), p.cfg.MaxClockSkew)
	}
	if skew.Abs() > 2*time.Second {
		p.notef("the platform's clock is %s", skewText(skew))
	}
	return nil
}

// skewText says how the platform's clock stands to ours.
func skewText(skew time.Duration) string {
	if skew < 0 {
		return skew.Abs().Round(time.Millisecond).String() + " behind ours"
	}
	return skew.Round(time.Millisecond).String() + " ahead of ours"
}

func checkEnvelopeShape(ctx context.Context, p *Platform) error {
	tok, err := p.session(ctx)
	if err != nil {
		return err
	}
	r, err := p.postItems(ctx, protocol.HeartBeats, tok, heartbeatItem(p.now()))
	if err != nil {
		return err
	}
	if err := r.wantOK(); err != nil {
		return err
	}
	if err := shape(r, false); err != nil {
		return fmt.Errorf("a success: %w", err)
	}
	r, err = p.postItems(ctx, protocol.HeartBeats, newID(), heartbeatItem(p.now()))
	if err != nil {
		return err
	}
	if err := r.wantCode(protocol.CodeToken, ""); err != nil {
		return err
	}
	if err := shape(r, true); err != nil {
		return fmt.Errorf("an error: %w", err)
	}
	return nil
}

// shape checks a response envelope's fields (table 29, §2, §4).
func shape(r *reply, isError bool) error {
	if !strings.HasPrefix(r.message, r.code.Message()) {
		return fmt.Errorf("message %q does not start with the appendix-A text %q (§4)", r.message, r.code.Message())
	}
	var ts int64
	if err := json.Unmarshal(r.timestamp, &ts); err != nil || ts <= 0 {
		return fmt.Errorf("timestamp %s is not ms since the epoch as a JSON integer (table 29)", orMissing(r.timestamp))
	}
	var data []json.RawMessage
	if err := json.Unmarshal(r.data, &data); err != nil || data == nil {
		return fmt.Errorf("data %s is not an array (§2: always an array)", orMissing(r.data))
	}
	if isError && len(data) != 0 {
		return fmt.Errorf("data of an error is %s, want [] (§2)", truncate(string(r.data), 200))
	}
	return nil
}

func orMissing(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "(missing)"
	}
	return truncate(string(raw), 100)
}

func checkTokenMissing(ctx context.Context, p *Platform) error {
	r, err := p.postItems(ctx, protocol.HeartBeats, "", heartbeatItem(p.now()))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeToken, "")
}

func checkTokenUnknown(ctx context.Context, p *Platform) error {
	_, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	r, err := p.postItems(ctx, protocol.EnterRecordCode, newID(), enterItem(park, newID(), newPlate(), p.now()))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeToken, "")
}

func checkTokenBearer(ctx context.Context, p *Platform) error {
	tok, err := p.session(ctx)
	if err != nil {
		return err
	}
	r, err := p.postItems(ctx, protocol.HeartBeats, "Bearer "+tok, heartbeatItem(p.now()))
	if err != nil {
		return err
	}
	return r.wantOK()
}

// --- envelope ---

// signed sends a parkSpaceInfo for the run's park whose data and sign are
// made by form from the canonical data.
func (p *Platform) signed(ctx context.Context, form func(data []byte) (body []byte, sign string)) (*reply, error) {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return nil, err
	}
	data, sign := form(dataOf(spaceItem(park)))
	return p.post(ctx, protocol.ParkSpaceInfoCode, tok, envelopeBody(p.stamp(), sign, data))
}

func checkSignBad(ctx context.Context, p *Platform) error {
	r, err := p.signed(ctx, func(data []byte) ([]byte, string) {
		return data, signHex(append(slices.Clone(data), ' ', 'x'))
	})
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeSign, "")
}

func checkSignUpper(ctx context.Context, p *Platform) error {
	r, err := p.signed(ctx, func(data []byte) ([]byte, string) { return data, signUpper(data) })
	if err != nil {
		return err
	}
	return r.wantOK()
}

func checkSignBase64(ctx context.Context, p *Platform) error {
	r, err := p.signed(ctx, func(data []byte) ([]byte, string) { return data, signBase64(data) })
	if err != nil {
		return err
	}
	return r.wantOK()
}

func checkSignPretty(ctx context.Context, p *Platform) error {
	r, err := p.signed(ctx, func(data []byte) ([]byte, string) {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, data, "", "  "); err != nil {
			panic(err)
		}
		return pretty.Bytes(), signHex(data)
	})
	if err != nil {
		return err
	}
	return r.wantOK()
}

func checkMalformedJSON(ctx context.Context, p *Platform) error {
	tok, err := p.session(ctx)
	if err != nil {
		return err
	}
	body := fmt.Sprintf(`{"timestamp":%d,"sign":"%s","version":"1.0.0","data":[{"requestTime":"%s"`,
		p.stamp(), strings.Repeat("0", 64), cstDateTime(p.now()))
	r, err := p.post(ctx, protocol.HeartBeats, tok, []byte(body))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeFormat, "")
}

// wantNotFound checks the answer to an unknown interface (§1).
func checkBodyTooLarge(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	// A valid, correctly signed envelope whose item carries a field the
	// standard does not define, long enough to make the body one byte
	// over the limit (a string, so that re-encoding keeps the size).
	item := enterItem(park, newID(), newPlate(), p.now().Add(-time.Hour))
	item["parkcheckPadding"] = ""
	size := func() int {
		data := dataOf(item)
		return len(envelopeBody(p.stamp(), signHex(data), data))
	}
	pad := int(p.cfg.MaxBody) + 1 - size()
	if pad < 0 {
		return fmt.Errorf("an envelope is already %d bytes, over the limit of %d", size(), p.cfg.MaxBody)
	}
	item["parkcheckPadding"] = strings.Repeat("a", pad)
	data := dataOf(item)
	body := envelopeBody(p.stamp(), signHex(data), data)
	if int64(len(body)) != p.cfg.MaxBody+1 {
		return fmt.Errorf("built a body of %d bytes, want %d", len(body), p.cfg.MaxBody+1)
	}
	r, err := p.post(ctx, protocol.EnterRecordCode, tok, body)
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeFormat, "")
}

func wantNotFound(r *reply) error {
	if r.status != http.StatusNotFound {
		return fmt.Errorf("answered %s, want HTTP 404 with an envelope of code 2 (§1)", r)
	}
	if r.envErr != nil {
		return fmt.Errorf("answered HTTP 404 but %v; want an envelope of code 2 (§1)", r.envErr)
	}
	if r.code != protocol.CodeFormat {
		return fmt.Errorf("answered %s, want code 2 (§1)", r)
	}
	return nil
}

func (p *Platform) postHeartbeatTo(ctx context.Context, path string) (*reply, error) {
	tok, err := p.session(ctx)
	if err != nil {
		return nil, err
	}
	data := dataOf(heartbeatItem(p.now()))
	return p.send(ctx, request{path: path, token: tok, body: envelopeBody(p.stamp(), signHex(data), data)})
}

func checkUnknownInterface(ctx context.Context, p *Platform) error {
	r, err := p.postHeartbeatTo(ctx, protocol.PathPrefix+"parkcheckNoSuchInterface")
	if err != nil {
		return err
	}
	return wantNotFound(r)
}

func checkInterfaceCase(ctx context.Context, p *Platform) error {
	r, err := p.postHeartbeatTo(ctx, protocol.PathPrefix+"HeartBeats")
	if err != nil {
		return err
	}
	return wantNotFound(r)
}

func checkMethodGet(ctx context.Context, p *Platform) error {
	tok, err := p.session(ctx)
	if err != nil {
		return err
	}
	r, err := p.send(ctx, request{method: http.MethodGet, path: protocol.HeartBeats.Path(), token: tok})
	if err != nil {
		return err
	}
	if r.status != http.StatusMethodNotAllowed {
		return fmt.Errorf("answered %s, want HTTP 405 (§1)", r)
	}
	return nil
}

func checkDataEmpty(ctx context.Context, p *Platform) error {
	tok, _, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	r, err := p.postData(ctx, protocol.EnterRecordCode, tok, []byte("[]"))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeParam, "")
}

func checkDataSingleObject(ctx context.Context, p *Platform) error {
	tok, err := p.session(ctx)
	if err != nil {
		return err
	}
	data, _ := json.Marshal(heartbeatItem(p.now()))
	r, err := p.postData(ctx, protocol.HeartBeats, tok, data)
	if err != nil {
		return err
	}
	_, err = heartbeatTime(r)
	return err
}

func checkTimestampWindow(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	for _, off := range []time.Duration{-dayAgo, dayAgo} {
		data := dataOf(enterItem(park, newID(), newPlate(), p.now().Add(-time.Hour)))
		r, err := p.post(ctx, protocol.EnterRecordCode, tok, envelopeBody(p.now().Add(off).UnixMilli(), signHex(data), data))
		if err != nil {
			return err
		}
		if err := r.wantCode(protocol.CodeParam, ""); err != nil {
			return fmt.Errorf("timestamp %s from platform time: %w", off, err)
		}
	}
	return nil
}

func checkTimestampLoginExempt(ctx context.Context, p *Platform) error {
	_, err := p.login(ctx, p.cfg.UserID, protocol.PasswordDigest(p.cfg.Password), p.now().Add(-dayAgo).UnixMilli())
	return err
}

func checkTimestampHeartbeatExempt(ctx context.Context, p *Platform) error {
	tok, err := p.session(ctx)
	if err != nil {
		return err
	}
	data := dataOf(heartbeatItem(p.now()))
	r, err := p.post(ctx, protocol.HeartBeats, tok, envelopeBody(p.now().Add(-dayAgo).UnixMilli(), signHex(data), data))
	if err != nil {
		return err
	}
	_, err = heartbeatTime(r)
	return err
}

// --- field validation ---

// enterWith sends one enterRecord for the run's park, changed by edit.
func (p *Platform) enterWith(ctx context.Context, edit func(item map[string]any)) (*reply, error) {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return nil, err
	}
	item := enterItem(park, newID(), newPlate(), p.now().Add(-time.Hour))
	edit(item)
	return p.postItems(ctx, protocol.EnterRecordCode, tok, item)
}

// plate21 is 21 characters: one over table 11's plateNo maximum.
const plate21 = "粤B1234567890123456789"

func checkFieldMissing(ctx context.Context, p *Platform) error {
	r, err := p.enterWith(ctx, func(m map[string]any) { delete(m, "plateNo") })
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeParam, "data[0].plateNo")
}

func checkFieldWrongType(ctx context.Context, p *Platform) error {
	r, err := p.enterWith(ctx, func(m map[string]any) { m["plateNo"] = 12345 })
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeType, "data[0].plateNo")
}

func checkFieldTooLong(ctx context.Context, p *Platform) error {
	r, err := p.enterWith(ctx, func(m map[string]any) { m["plateNo"] = plate21 })
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeTooLong, "data[0].plateNo")
}

func checkLengthInCharacters(ctx context.Context, p *Platform) error {
	plate := "粤B学警港澳" + strconv.FormatInt(1e13+int64(randInt(1e9)), 10) // 6 + 14 characters, 30 bytes
	r, err := p.enterWith(ctx, func(m map[string]any) { m["plateNo"] = plate })
	if err != nil {
		return err
	}
	return r.wantOK()
}

func checkFieldUnparseable(ctx context.Context, p *Platform) error {
	r, err := p.enterWith(ctx, func(m map[string]any) { m["enterTime"] = "2024-13-45 25:61:00" })
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeType, "data[0].enterTime")
}

func checkFieldDictionary(ctx context.Context, p *Platform) error {
	r, err := p.enterWith(ctx, func(m map[string]any) { m["carColor"] = 9 })
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeRange, "data[0].carColor")
}

func checkErrorMessageForm(ctx context.Context, p *Platform) error {
	r, err := p.enterWith(ctx, func(m map[string]any) { m["plateNo"] = plate21 })
	if err != nil {
		return err
	}
	if err := r.wantCode(protocol.CodeTooLong, ""); err != nil {
		return err
	}
	want := protocol.CodeTooLong.Message() + ": data[0].plateNo"
	if !strings.HasPrefix(r.message, want) {
		return fmt.Errorf("message %q does not start with %q (§4)", r.message, want)
	}
	return nil
}

// --- parks and entrances ---

func checkParkInfoOK(ctx context.Context, p *Platform) error {
	tok, err := p.session(ctx)
	if err != nil {
		return err
	}
	_, err = p.registerPark(ctx, tok, newID())
	return err
}

func checkParkInfoSameID(ctx context.Context, p *Platform) error {
	tok, err := p.session(ctx)
	if err != nil {
		return err
	}
	code := newID()
	item := p.placed(parkItem(code))
	send := func() (string, error) {
		r, err := p.postItems(ctx, protocol.ParkInfoCode, tok, item)
		if err != nil {
			return "", err
		}
		return parkInfoID(r, code)
	}
	first, err := send()
	if err != nil {
		return err
	}
	again, err := send()
	if err != nil {
		return fmt.Errorf("an identical re-report: %w", err)
	}
	if again != first {
		return fmt.Errorf("an identical re-report got isvParkId %s, the first report %s (§5: kept)", again, first)
	}
	item["parkName"] = item["parkName"].(string) + " 改"
	item["totalSpaces"] = 120
	changed, err := send()
	if err != nil {
		return fmt.Errorf("a changed re-report: %w", err)
	}
	if changed != first {
		return fmt.Errorf("a changed re-report got isvParkId %s, the first report %s (§5: kept across updates)", changed, first)
	}
	return nil
}

func checkParkInfoAreaCode(ctx context.Context, p *Platform) error {
	tok, err := p.session(ctx)
	if err != nil {
		return err
	}
	item := p.placed(parkItem(newID()))
	item["areaCode"] = "110101" // Beijing's Dongcheng: not in appendix F
	if p.cfg.City != nil && p.cfg.City.Regions["110101"] != "" {
		item["areaCode"] = "999999" // a code no city has
	}
	r, err := p.postItems(ctx, protocol.ParkInfoCode, tok, item)
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeRange, "data[0].areaCode")
}

func checkEntranceStableID(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	code := "PCK" + newID()[:10]
	send := func(name string) (string, error) {
		r, err := p.postItems(ctx, protocol.EntranceExitCode, tok, p.placed(entranceItem(park, code, name)))
		if err != nil {
			return "", err
		}
		if err := r.wantOK(); err != nil {
			return "", err
		}
		var out []struct {
			ID string `json:"id"`
		}
		if err := r.items(&out, 1); err != nil {
			return "", err
		}
		if !isUuid(out[0].ID) {
			return "", fmt.Errorf("the answer's id %q is not a Uuid of 32 characters (table 10, §3)", out[0].ID)
		}
		return out[0].ID, nil
	}
	first, err := send("北门")
	if err != nil {
		return err
	}
	again, err := send("北门（新）")
	if err != nil {
		return fmt.Errorf("re-reporting it: %w", err)
	}
	if again != first {
		return fmt.Errorf("re-reporting entrance %s got id %s, the first report %s (§5: same id)", code, again, first)
	}
	return nil
}

// --- records ---

// wantIDs checks a record answer (tables 12, 14): code 0 and one id per
// item, in order.
func wantIDs(r *reply, ids ...string) error {
	if err := r.wantOK(); err != nil {
		return err
	}
	var out []struct {
		ID string `json:"id"`
	}
	if err := r.items(&out, len(ids)); err != nil {
		return err
	}
	for i, id := range ids {
		if out[i].ID != id {
			return fmt.Errorf("data[%d].id of the answer is %q, want %q (in request order, §2)", i, out[i].ID, id)
		}
	}
	return nil
}

func checkEnterOK(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	id := newID()
	r, err := p.postItems(ctx, protocol.EnterRecordCode, tok, enterItem(park, id, newPlate(), p.now().Add(-time.Hour)))
	if err != nil {
		return err
	}
	return wantIDs(r, id)
}

// sendTwice sends the same item twice to iface; both must answer its id.
func (p *Platform) sendTwice(ctx context.Context, tok string, iface protocol.Interface, item map[string]any) error {
	for i := range 2 {
		r, err := p.postItems(ctx, iface, tok, item)
		if err != nil {
			return err
		}
		if err := wantIDs(r, item["id"].(string)); err != nil {
			if i == 1 {
				return fmt.Errorf("re-sending it: %w", err)
			}
			return err
		}
	}
	return nil
}

func checkEnterIdempotent(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	return p.sendTwice(ctx, tok, protocol.EnterRecordCode, enterItem(park, newID(), newPlate(), p.now().Add(-time.Hour)))
}

// enterOK sends an entry and requires it accepted.
func (p *Platform) enterOK(ctx context.Context, tok string, item map[string]any) error {
	r, err := p.postItems(ctx, protocol.EnterRecordCode, tok, item)
	if err != nil {
		return err
	}
	if err := wantIDs(r, item["id"].(string)); err != nil {
		return fmt.Errorf("the entry: %w", err)
	}
	return nil
}

func checkExitOK(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	id, plate := newID(), newPlate()
	if err := p.enterOK(ctx, tok, enterItem(park, id, plate, p.now().Add(-2*time.Hour))); err != nil {
		return err
	}
	r, err := p.postItems(ctx, protocol.ExitRecordCode, tok, exitItem(park, id, plate, p.now().Add(-time.Hour)))
	if err != nil {
		return err
	}
	return wantIDs(r, id)
}

func checkExitIdempotent(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	id, plate := newID(), newPlate()
	if err := p.enterOK(ctx, tok, enterItem(park, id, plate, p.now().Add(-2*time.Hour))); err != nil {
		return err
	}
	return p.sendTwice(ctx, tok, protocol.ExitRecordCode, exitItem(park, id, plate, p.now().Add(-time.Hour)))
}

func checkExitWithoutEntry(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	id := newID()
	r, err := p.postItems(ctx, protocol.ExitRecordCode, tok, exitItem(park, id, newPlate(), p.now().Add(-time.Hour)))
	if err != nil {
		return err
	}
	return wantIDs(r, id)
}

func checkExitBeforeEntry(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	id, plate := newID(), newPlate()
	if err := p.enterOK(ctx, tok, enterItem(park, id, plate, p.now().Add(-time.Hour))); err != nil {
		return err
	}
	r, err := p.postItems(ctx, protocol.ExitRecordCode, tok, exitItem(park, id, plate, p.now().Add(-2*time.Hour)))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeRange, "data[0].leaveTime")
}

func checkEnterAfterItsExit(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	id, plate := newID(), newPlate()
	r, err := p.postItems(ctx, protocol.ExitRecordCode, tok, exitItem(park, id, plate, p.now().Add(-2*time.Hour)))
	if err != nil {
		return err
	}
	if err := wantIDs(r, id); err != nil {
		return fmt.Errorf("the exit, sent first: %w", err)
	}
	r, err = p.postItems(ctx, protocol.EnterRecordCode, tok, enterItem(park, id, plate, p.now().Add(-time.Hour)))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeRange, "data[0].enterTime")
}

func checkUnknownPark(ctx context.Context, p *Platform) error {
	tok, err := p.session(ctx)
	if err != nil {
		return err
	}
	r, err := p.postItems(ctx, protocol.EnterRecordCode, tok, enterItem(newID(), newID(), newPlate(), p.now().Add(-time.Hour)))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeNoPark, "data[0].parkCode")
}

func checkBatchOrder(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	ids := []string{newID(), newID(), newID()}
	items := make([]any, len(ids))
	for i, id := range ids {
		items[i] = enterItem(park, id, newPlate(), p.now().Add(-time.Duration(i+1)*time.Minute))
	}
	r, err := p.postItems(ctx, protocol.EnterRecordCode, tok, items...)
	if err != nil {
		return err
	}
	return wantIDs(r, ids...)
}

// checkBatchAtomic sends exits without entry, whose plates the platform
// must then list in replenishCarInfo (§5), in a batch whose middle item
// lacks plateNo. A black-box checker cannot read the store, so it learns
// what was stored from the replenish list: none of the batch's plates may
// be listed; then, to show that the list would have told, it sends the
// good items alone and requires them listed.
func checkBatchAtomic(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	day := p.recordDay()
	a := exitItem(park, newID(), newPlate(), day.Add(10*time.Hour))
	b := exitItem(park, newID(), newPlate(), day.Add(11*time.Hour))
	bad := exitItem(park, newID(), newPlate(), day.Add(12*time.Hour))
	delete(bad, "plateNo")
	r, err := p.postItems(ctx, protocol.ExitRecordCode, tok, a, bad, b)
	if err != nil {
		return err
	}
	if err := r.wantCode(protocol.CodeParam, "data[1].plateNo"); err != nil {
		return err
	}
	good := []string{a["plateNo"].(string), b["plateNo"].(string)}
	listed, err := p.replenishAll(ctx, tok, park, day)
	if err != nil {
		return err
	}
	for _, plate := range good {
		if slices.Contains(listed, plate) {
			return fmt.Errorf("the batch was refused, yet replenishCarInfo for %s lists %s, a plate of its good items: they were stored (§2: nothing is stored)", cstDate(day), plate)
		}
	}
	r, err = p.postItems(ctx, protocol.ExitRecordCode, tok, a, b)
	if err != nil {
		return err
	}
	if err := wantIDs(r, a["id"].(string), b["id"].(string)); err != nil {
		return fmt.Errorf("sending the good items alone: %w", err)
	}
	listed, err = p.replenishAll(ctx, tok, park, day)
	if err != nil {
		return err
	}
	for _, plate := range good {
		if !slices.Contains(listed, plate) {
			return fmt.Errorf("cannot tell what the refused batch stored: even after the good items were sent alone, replenishCarInfo for %s does not list %s (§5: exits without entry are listed)", cstDate(day), plate)
		}
	}
	return nil
}

// --- pictures ---

// sendPicture sends a table 15 picture for the run's park; sign, when
// not empty, replaces SM3 of the file.
func (p *Platform) sendPicture(ctx context.Context, file []byte, sign string) (*reply, string, error) {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return nil, "", err
	}
	if sign == "" {
		sign = signHex(file)
	}
	id := newID()
	now := p.now()
	f := pictureForm{file: file, fields: map[string]string{
		"timestamp":    strconv.FormatInt(p.stamp(), 10),
		"sign":         sign,
		"version":      protocol.Version,
		"parkCode":     park,
		"id":           id,
		"fileName":     fmt.Sprintf("parkcheck%s%06d.jpg", now.In(protocol.CST).Format("20060102"), randInt(1000000)),
		"imageBizType": "4",
		"pickTime":     strconv.FormatInt(now.UnixMilli(), 10),
	}}
	body, ct, summary, err := f.multipart()
	if err != nil {
		return nil, "", err
	}
	r, err := p.send(ctx, request{path: protocol.PictureCode.Path(), token: tok, contentType: ct, body: body, shown: summary})
	return r, id, err
}

// wantPictureOK checks a picture answer (table 16: the id is optional, but
// when present it is the picture's).
func wantPictureOK(r *reply, id string) error {
	if err := r.wantOK(); err != nil {
		return err
	}
	var out []struct {
		ID *string `json:"id"`
	}
	if err := r.items(&out, -1); err != nil {
		return err
	}
	if len(out) > 0 && out[0].ID != nil && *out[0].ID != id {
		return fmt.Errorf("the answer's id is %q, want %q (table 16)", *out[0].ID, id)
	}
	return nil
}

func checkPictureSized(ctx context.Context, p *Platform, size int) error {
	img, err := jpegOfSize(size)
	if err != nil {
		return err
	}
	r, id, err := p.sendPicture(ctx, img, "")
	if err != nil {
		return err
	}
	return wantPictureOK(r, id)
}

func checkPictureOK(ctx context.Context, p *Platform) error {
	return checkPictureSized(ctx, p, pictureOKBytes)
}

func checkPictureMaxSize(ctx context.Context, p *Platform) error {
	return checkPictureSized(ctx, p, pictureMaxBytes)
}

func checkPictureTooLarge(ctx context.Context, p *Platform) error {
	img, err := jpegOfSize(pictureMaxBytes + 1)
	if err != nil {
		return err
	}
	r, _, err := p.sendPicture(ctx, img, "")
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeRange, "")
}

func checkPictureNotImage(ctx context.Context, p *Platform) error {
	text := bytes.Repeat([]byte("parkcheck: this file is text, not a JPEG or PNG image.\n"), pictureOKBytes/55)
	r, _, err := p.sendPicture(ctx, text, "")
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeType, "")
}

func checkPictureBadSign(ctx context.Context, p *Platform) error {
	img, err := jpegOfSize(pictureOKBytes)
	if err != nil {
		return err
	}
	r, _, err := p.sendPicture(ctx, img, signHex(img[:len(img)-1]))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeSign, "")
}

// --- vacancy, plate lists, replenish ---

func checkParkSpaceOK(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	r, err := p.postItems(ctx, protocol.ParkSpaceInfoCode, tok, spaceItem(park))
	if err != nil {
		return err
	}
	if err := r.wantOK(); err != nil {
		return err
	}
	var out []struct {
		ParkCode *string `json:"parkCode"`
	}
	if err := r.items(&out, -1); err != nil {
		return err
	}
	if len(out) > 0 && out[0].ParkCode != nil && *out[0].ParkCode != park {
		return fmt.Errorf("the answer's parkCode is %q, want %q (table 18)", *out[0].ParkCode, park)
	}
	return nil
}

func checkParkSpaceNegative(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	item := spaceItem(park)
	item["unusedStalls"] = -1
	r, err := p.postItems(ctx, protocol.ParkSpaceInfoCode, tok, item)
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeRange, "data[0].unusedStalls")
}

func checkParkCarOK(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	item := map[string]any{"parkCode": park, "plateNoList": newPlate() + "," + newPlate()}
	r, err := p.postItems(ctx, protocol.ParkCarInfoCode, tok, item)
	if err != nil {
		return err
	}
	if err := r.wantOK(); err != nil {
		return err
	}
	var out []struct {
		ParkCode string `json:"parkCode"`
	}
	if err := r.items(&out, 1); err != nil {
		return err
	}
	if out[0].ParkCode != park {
		return fmt.Errorf("the answer's parkCode is %q, want %q (table 24)", out[0].ParkCode, park)
	}
	return nil
}

func checkReplenishPageSize(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	for _, size := range []int{protocol.MaxPageSize + 1, 0} {
		r, _, err := p.replenishPage(ctx, tok, park, p.recordDay(), 1, size)
		if err != nil {
			return err
		}
		if err := r.wantCode(protocol.CodeRange, "data[0].pageSize"); err != nil {
			return fmt.Errorf("pageSize %d: %w", size, err)
		}
	}
	return nil
}

func checkReplenishEmptyDay(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	day := p.recordDay().AddDate(-30, 0, 0)
	r, plates, err := p.replenishPage(ctx, tok, park, day, 1, 10)
	if err != nil {
		return err
	}
	if err := r.wantOK(); err != nil {
		return err
	}
	if len(plates) != 0 {
		return fmt.Errorf("replenishCarInfo for %s lists %v, want none", cstDate(day), plates)
	}
	return nil
}

// exitNoEntry stores an exit without entry and returns its plate.
func (p *Platform) exitNoEntry(ctx context.Context, tok, park, plate string, at time.Time) error {
	id := newID()
	r, err := p.postItems(ctx, protocol.ExitRecordCode, tok, exitItem(park, id, plate, at))
	if err != nil {
		return err
	}
	if err := wantIDs(r, id); err != nil {
		return fmt.Errorf("an exit without entry: %w", err)
	}
	return nil
}

func checkReplenishExitWithoutEntry(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	day := p.recordDay()
	// 00:30 CST is 16:30 UTC the day before: a platform that dates in UTC
	// lists it under the wrong day.
	lone, visit := newPlate(), newPlate()
	if err := p.exitNoEntry(ctx, tok, park, lone, day.Add(30*time.Minute)); err != nil {
		return err
	}
	id := newID()
	if err := p.enterOK(ctx, tok, enterItem(park, id, visit, day.Add(8*time.Hour))); err != nil {
		return err
	}
	r, err := p.postItems(ctx, protocol.ExitRecordCode, tok, exitItem(park, id, visit, day.Add(9*time.Hour)))
	if err != nil {
		return err
	}
	if err := wantIDs(r, id); err != nil {
		return fmt.Errorf("the exit of a complete visit: %w", err)
	}
	listed, err := p.replenishAll(ctx, tok, park, day)
	if err != nil {
		return err
	}
	if !slices.Contains(listed, lone) {
		return fmt.Errorf("replenishCarInfo for %s does not list %s, which left at %s with no entry", cstDate(day), lone, cstDateTime(day.Add(30*time.Minute)))
	}
	if slices.Contains(listed, visit) {
		return fmt.Errorf("replenishCarInfo for %s lists %s, whose entry and exit are both reported", cstDate(day), visit)
	}
	before := day.AddDate(0, 0, -1)
	listed, err = p.replenishAll(ctx, tok, park, before)
	if err != nil {
		return err
	}
	if slices.Contains(listed, lone) {
		return fmt.Errorf("replenishCarInfo for %s lists %s, which left at %s CST: dates must be CST (§3)", cstDate(before), lone, cstDateTime(day.Add(30*time.Minute)))
	}
	return nil
}

func checkReplenishPastLast(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	day := p.recordDay()
	const size = 2
	mine := []string{newPlate(), newPlate(), newPlate()}
	for i, plate := range mine {
		if err := p.exitNoEntry(ctx, tok, park, plate, day.Add(time.Duration(13+i)*time.Hour)); err != nil {
			return err
		}
	}
	var seen []string
	for page := 1; ; page++ {
		if page > 100 {
			return errors.New("gave up after 100 pages without a short page or 1107")
		}
		r, plates, err := p.replenishPage(ctx, tok, park, day, page, size)
		if err != nil {
			return err
		}
		if r.envelope() == nil && r.code == protocol.CodeNoPage && page > 1 && len(seen) == (page-1)*size {
			break // the last page was full; this one is past it
		}
		if err := r.wantOK(); err != nil {
			return fmt.Errorf("page %d of pageSize %d: %w", page, size, err)
		}
		if len(plates) > size {
			return fmt.Errorf("page %d lists %d plates, more than pageSize %d", page, len(plates), size)
		}
		seen = append(seen, plates...)
		if len(plates) < size {
			r, _, err := p.replenishPage(ctx, tok, park, day, page+1, size)
			if err != nil {
				return err
			}
			if err := r.wantCode(protocol.CodeNoPage, ""); err != nil {
				return fmt.Errorf("page %d, past the last (%d of %d plates): %w", page+1, page, len(seen), err)
			}
			break
		}
	}
	for _, plate := range mine {
		if !slices.Contains(seen, plate) {
			return fmt.Errorf("the pages of %s list %v, without %s (an exit without entry, §5)", cstDate(day), seen, plate)
		}
	}
	return nil
}

func checkPlateNormalised(ctx context.Context, p *Platform) error {
	tok, park, err := p.runPark(ctx)
	if err != nil {
		return err
	}
	day := p.recordDay()
	plate := newPlate()
	sent := " " + strings.ToLower(plate) + " "
	if err := p.exitNoEntry(ctx, tok, park, sent, day.Add(20*time.Hour)); err != nil {
		return err
	}
	listed, err := p.replenishAll(ctx, tok, park, day)
	if err != nil {
		return err
	}
	if !slices.Contains(listed, plate) {
		return fmt.Errorf("sent plateNo %q; replenishCarInfo for %s lists %v, without %q", sent, cstDate(day), listed, plate)
	}
	return nil
}
