package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// message describes one request item type of the standard for the
// table-driven tests and the fuzz targets.
type message struct {
	name     string // Go type
	file     string // golden valid item under testdata/items
	required []string
	// decode is Decode[T]; it returns the decoded value.
	decode func([]byte) (any, error)
	// decodeItems is DecodeItems[T]; it returns the decoded slice.
	decodeItems func([]json.RawMessage) (any, error)
}

func messageOf[T any, P interface {
	*T
	Item
}](name, file string) message {
	return message{
		name:     name,
		file:     file,
		required: P(new(T)).RequiredFields(),
		decode: func(b []byte) (any, error) {
			v, err := Decode[T, P](b)
			return v, err
		},
		decodeItems: func(items []json.RawMessage) (any, error) {
			v, err := DecodeItems[T, P](items)
			return v, err
		},
	}
}

// messages lists every request item type with its golden valid item.
var messages = []message{
	messageOf[LoginRequest]("LoginRequest", "login.json"),
	messageOf[HeartbeatRequest]("HeartbeatRequest", "heartbeat.json"),
	messageOf[ParkInfo]("ParkInfo", "park_info.json"),
	messageOf[EntranceExitInfo]("EntranceExitInfo", "entrance_exit.json"),
	messageOf[EnterRecord]("EnterRecord", "enter_record.json"),
	messageOf[ExitRecord]("ExitRecord", "exit_record.json"),
	messageOf[ParkSpaceInfo]("ParkSpaceInfo", "park_space_info.json"),
	messageOf[Reservation]("Reservation", "reservation.json"),
	messageOf[CancelReservation]("CancelReservation", "cancel_reservation.json"),
	messageOf[ParkCarInfo]("ParkCarInfo", "park_car_info.json"),
	messageOf[ReplenishRequest]("ReplenishRequest", "replenish.json"),
}

// readTestdata returns the bytes of testdata/name.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenItem returns the golden valid item testdata/items/file, compacted.
func goldenItem(t testing.TB, file string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, readTestdata(t, filepath.Join("items", file))); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return buf.Bytes()
}

// edit changes one value of a JSON document, addressed by a path such as
// "plateNo" or "publicInfos[1].endTime".
type edit struct {
	path   string
	raw    string // the new value as JSON
	delete bool
}

// set replaces (or adds) the value at path with the JSON text raw.
func set(path, raw string) edit { return edit{path: path, raw: raw} }

// del removes the key at path.
func del(path string) edit { return edit{path: path, delete: true} }

// str returns s as a JSON string.
func str(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// runes returns s repeated to n characters; s is one character.
func runes(s string, n int) string { return strings.Repeat(s, n) }

// applyEdits returns doc with edits applied, re-marshalled.
func applyEdits(t testing.TB, doc []byte, edits ...edit) []byte {
	t.Helper()
	if len(edits) == 0 {
		return doc
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		var err error
		if v, err = applyEdit(v, splitPath(e.path), e); err != nil {
			t.Fatalf("edit %s: %v", e.path, err)
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// splitPath turns "a[1].b" into ["a", "[1]", "b"].
func splitPath(p string) []string {
	var out []string
	for _, part := range strings.Split(p, ".") {
		for {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				break
			}
			if i > 0 {
				out = append(out, part[:i])
			}
			j := strings.IndexByte(part, ']')
			out = append(out, part[i:j+1])
			part = part[j+1:]
		}
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

func applyEdit(v any, path []string, e edit) (any, error) {
	head := path[0]
	if head[0] == '[' {
		i, err := strconv.Atoi(head[1 : len(head)-1])
		arr, ok := v.([]any)
		if err != nil || !ok || i >= len(arr) {
			return nil, errors.New("no element " + head)
		}
		if len(path) == 1 {
			arr[i] = json.RawMessage(e.raw)
			return arr, nil
		}
		arr[i], err = applyEdit(arr[i], path[1:], e)
		return arr, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New(head + " is not in an object")
	}
	if len(path) == 1 {
		if e.delete {
			delete(obj, head)
		} else {
			obj[head] = json.RawMessage(e.raw)
		}
		return obj, nil
	}
	var err error
	obj[head], err = applyEdit(obj[head], path[1:], e)
	return obj, err
}

// wrongType returns a JSON value of another JSON type than raw.
func wrongType(raw json.RawMessage) string {
	switch raw[0] {
	case '"':
		return "7"
	case '[':
		return "{}"
	case '{':
		return "[]"
	default:
		return `"7"`
	}
}

// assertError checks that err is an *Error with code and path; CodeOK
// means err must be nil.
func assertError(t testing.TB, err error, code Code, path string) {
	t.Helper()
	if code == CodeOK {
		if err != nil {
			t.Fatalf("rejected: %v", err)
		}
		return
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want code %d at %q", err, code, path)
	}
	if pe.Code != code || pe.Path != path {
		t.Fatalf("got code %d at %q (%s), want code %d at %q", pe.Code, pe.Path, pe.Message(), code, path)
	}
}
