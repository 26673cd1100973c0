package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkItemError checks an error of Decode, DecodeItems or ParseRequest:
// an *Error with a code the validation may return, a path for every code
// but 2, and a wire message that starts with the code's appendix-A text.
func checkItemError(t *testing.T, err error) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	switch pe.Code {
	case CodeFormat:
	case CodeParam, CodeTooLong, CodeType, CodeRange:
		if pe.Path == "" {
			t.Fatalf("code %d without a path: %s", pe.Code, pe.Message())
		}
	default:
		t.Fatalf("unexpected code %d: %s", pe.Code, pe.Message())
	}
	if !strings.HasPrefix(pe.Message(), pe.Code.Message()) {
		t.Fatalf("message %q does not start with %q", pe.Message(), pe.Code.Message())
	}
	if n := utf8.RuneCountInString(pe.Message()); n > MaxMessage {
		t.Fatalf("message of %d characters: %.80s...", n, pe.Message())
	}
}

// checkRoundTrip marshals a decoded value v, decodes the bytes again with
// decode and checks that they are accepted and marshal to the same bytes.
func checkRoundTrip(t *testing.T, name string, v any, decode func([]byte) (any, error)) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: marshal of a decoded value: %v", name, err)
	}
	w, err := decode(b)
	if err != nil {
		t.Fatalf("%s: %s was accepted, its re-marshalled form %s is not: %v", name, "value", b, err)
	}
	b2, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatalf("%s: marshal is not stable:\n%s\n%s", name, b, b2)
	}
}

// addItemSeeds adds, for each message, its golden item, the golden item
// with each specific case's edits, and a few malformed items.
func addItemSeeds(f *testing.F, ms []message) {
	for _, m := range ms {
		doc := goldenItem(f, m.file)
		f.Add(doc)
		for _, tc := range specificCases[m.name] {
			f.Add(applyEdits(f, doc, tc.edits...))
		}
		f.Add(doc[:len(doc)/2])
		f.Add(bytes.Replace(doc, []byte(`"`), []byte(`'`), 2))
	}
	for _, s := range []string{``, `{}`, `null`, `[]`, `[{}]`, `{"a":`, `{"parkCode":null}`, `{"publicInfos":[null,1,{}]}`,
		`{"publicInfos":{"type":1}}`, `{"PUBLICINFOS":[{}]}`, `{"plateNoList":"，,，"}`, "{\"plateNo\":\"\xff\xfe\"}",
		`{"enterTime":"2024-01-01 08:30:00","enterTime":5}`, `{"totalSpaces":1e400}`, `{"longitude":-0}`} {
		f.Add([]byte(s))
	}
}

// fuzzDecode decodes an item as each of ms: it must never panic, every
// error must be a well-formed *Error, and an accepted item must survive
// marshal and decode.
func fuzzDecode(f *testing.F, ms ...message) {
	addItemSeeds(f, ms)
	f.Fuzz(func(t *testing.T, item []byte) {
		for _, m := range ms {
			v, err := m.decode(item)
			if err != nil {
				checkItemError(t, err)
				continue
			}
			checkRoundTrip(t, m.name, v, m.decode)
		}
	})
}

func messagesNamed(names ...string) []message {
	var out []message
	for _, m := range messages {
		for _, n := range names {
			if m.name == n {
				out = append(out, m)
			}
		}
	}
	return out
}

func FuzzDecodeSession(f *testing.F) {
	fuzzDecode(f, messagesNamed("LoginRequest", "HeartbeatRequest")...)
}

func FuzzDecodePark(f *testing.F) {
	fuzzDecode(f, messagesNamed("ParkInfo", "EntranceExitInfo", "ParkSpaceInfo")...)
}

func FuzzDecodeRecords(f *testing.F) {
	fuzzDecode(f, messagesNamed("EnterRecord", "ExitRecord")...)
}

func FuzzDecodeReservation(f *testing.F) {
	fuzzDecode(f, messagesNamed("Reservation", "CancelReservation")...)
}

func FuzzDecodeVerification(f *testing.F) {
	fuzzDecode(f, messagesNamed("ParkCarInfo", "ReplenishRequest")...)
}

// FuzzParseRequest reads a request body and decodes its items as every
// message type. Accepted items, re-marshalled into a new signed request,
// must parse, verify and decode again.
func FuzzParseRequest(f *testing.F) {
	for _, m := range messages {
		doc := string(goldenItem(f, m.file))
		f.Add(envelope("["+doc+"]", "", ""))
		f.Add(envelope(doc, "", ""))
		f.Add(envelope("["+doc+","+doc+"]", "version", `"1.0.0-beta1"`))
		f.Add(envelope("[\n  "+doc+"\n]", "", ""))
	}
	for _, b := range [][]byte{
		nil, []byte("null"), []byte("{}"), []byte("[]"),
		envelope("[]", "", ""), envelope(`[1]`, "", ""), envelope(`"W3t9XQ=="`, "", ""),
		envelope(itemsOf(101, `{}`), "", ""), envelope(`[{}]`, "timestamp", `"1"`),
		envelope(`[{}]`, "sign", ""), envelope(`[{}]`, "data", "null"),
		[]byte(`{"timestamp":1,"sign":"s","version":"v","data":[{"a":1}],"data":{"b":2}}`),
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, items, err := ParseRequest(body, DefaultMaxItems)
		if err != nil {
			checkItemError(t, err)
			return
		}
		if len(items) == 0 || len(items) > DefaultMaxItems {
			t.Fatalf("%d items accepted", len(items))
		}
		if req.Sign == "" || req.Version == "" || len(req.Data) == 0 {
			t.Fatalf("incomplete request accepted: %+v", req)
		}
		for _, m := range messages {
			v, err := m.decodeItems(items)
			if err != nil {
				checkItemError(t, err)
				if p := err.(*Error).Path; !strings.HasPrefix(p, "data[") {
					t.Fatalf("%s: path %q does not name the item", m.name, p)
				}
				continue
			}
			data, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			again, err := json.Marshal(Request{Timestamp: req.Timestamp, Sign: Sign(data), Version: Version, Data: data})
			if err != nil {
				t.Fatal(err)
			}
			req2, items2, err := ParseRequest(again, DefaultMaxItems)
			if err != nil {
				t.Fatalf("%s: re-marshalled request rejected: %v\n%s", m.name, err, again)
			}
			if !Verify(req2.Data, req2.Sign) {
				t.Fatalf("%s: re-marshalled request does not verify", m.name)
			}
			if len(items2) != len(items) {
				t.Fatalf("%s: %d items became %d", m.name, len(items), len(items2))
			}
			if _, err := m.decodeItems(items2); err != nil {
				t.Fatalf("%s: re-marshalled items rejected: %v\n%s", m.name, err, data)
			}
		}
	})
}

// FuzzVerify checks that Verify and VerifyKeyed never panic, accept every
// sign form of the right digest, and accept nothing else: a sign that
// verifies decodes to the digest of data or of its compact form.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(enterData), enterSign, []byte(downlinkKey))
	f.Add([]byte(enterData), enterSignB64, []byte(downlinkKey))
	f.Add([]byte(loginData), strings.ToUpper(loginSign), []byte{})
	f.Add(pretty(f, enterData), enterSign, []byte("k"))
	f.Add([]byte("abc"), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", []byte(nil))
	f.Add([]byte(""), "", []byte(""))
	f.Add([]byte("[ 1 ]"), "garbage", []byte("key"))
	f.Add([]byte(`[{"a":"\u00e9"}]`), enterSign[:63], []byte("key"))
	f.Fuzz(func(t *testing.T, data []byte, sign string, key []byte) {
		if Verify(data, sign) {
			d := SM3(data)
			var buf bytes.Buffer
			got, ok := decodeDigest(sign)
			if !ok {
				t.Fatalf("Verify accepted %q, which is not a digest", sign)
			}
			if !bytes.Equal(got, d[:]) {
				if json.Compact(&buf, data) != nil {
					t.Fatalf("Verify accepted %q for data that is neither signed nor JSON", sign)
				}
				c := SM3(buf.Bytes())
				if !bytes.Equal(got, c[:]) {
					t.Fatalf("Verify accepted %q, the digest of neither data nor its compact form", sign)
				}
			}
		}
		VerifyKeyed(key, data, sign)

		s := Sign(data)
		d := SM3(data)
		for _, form := range []string{s, strings.ToUpper(s), base64.StdEncoding.EncodeToString(d[:]), base64.RawURLEncoding.EncodeToString(d[:])} {
			if !Verify(data, form) {
				t.Fatalf("Verify rejected %q, a form of the sign of %q", form, data)
			}
		}
		if hex.EncodeToString(d[:]) != s {
			t.Fatalf("Sign = %s, not the hex of SM3", s)
		}
		k := SignKeyed(key, data)
		if !VerifyKeyed(key, data, k) || !VerifyKeyed(key, data, strings.ToUpper(k)) {
			t.Fatalf("VerifyKeyed rejected its own sign %s", k)
		}
	})
}

// FuzzParsePictureForm checks that ParsePictureForm never panics, reports
// a form field with a code of docs/protocol.md §4, and that an accepted form
// written back with Fields parses to the same form.
func FuzzParsePictureForm(f *testing.F) {
	add := func(m map[string]string) {
		f.Add(m[FormTimestamp], m[FormSign], m[FormVersion], m[FormParkCode], m[FormID], m[FormFileName], m[FormImageBizType], m[FormPickTime])
	}
	add(pictureFields(f, nil))
	for _, e := range []map[string]string{
		{FormTimestamp: "x"}, {FormPickTime: "-1"}, {FormImageBizType: "0"}, {FormImageBizType: "+5"},
		{FormImageBizType: "99999999999999999999"}, {FormImageBizType: "4294967297"}, {FormParkCode: uuidHyphen},
		{FormVersion: "1.0.0-beta1"}, {FormFileName: runes("图", 101)}, {FormID: ""}, {FormSign: " "},
	} {
		add(pictureFields(f, e))
	}
	fields := []string{FormTimestamp, FormSign, FormVersion, FormParkCode, FormID, FormFileName, FormImageBizType, FormPickTime}
	f.Fuzz(func(t *testing.T, timestamp, sign, version, parkCode, id, fileName, imageBizType, pickTime string) {
		values := map[string]string{FormTimestamp: timestamp, FormSign: sign, FormVersion: version, FormParkCode: parkCode,
			FormID: id, FormFileName: fileName, FormImageBizType: imageBizType, FormPickTime: pickTime}
		form, err := ParsePictureForm(getter(values))
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not an *Error", err)
			}
			switch pe.Code {
			case CodeParam, CodeTooLong, CodeType, CodeRange:
			default:
				t.Fatalf("unexpected code %d", pe.Code)
			}
			known := false
			for _, name := range fields {
				known = known || pe.Path == name
			}
			if !known {
				t.Fatalf("path %q is not a form field", pe.Path)
			}
			return
		}
		if !form.ImageBizType.Valid() || !IsUuid(form.ParkCode) || form.Sign == "" || form.ID == "" || form.FileName == "" || form.Version == "" {
			t.Fatalf("accepted an invalid form %+v", form)
		}
		again, err := ParsePictureForm(getter(form.Fields()))
		if err != nil {
			t.Fatalf("Fields of an accepted form rejected: %v", err)
		}
		if again != form {
			t.Fatalf("Fields round trip: %+v became %+v", form, again)
		}
	})
}
