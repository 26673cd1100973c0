package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// DefaultMaxItems is the default limit on the items of one request's
// `data` (docs/protocol.md §2).
const DefaultMaxItems = 100

// MaxMessage is table 29's limit on a response's message, in characters;
// NewResponse cuts a longer message.
const MaxMessage = 255

// Request is the request envelope of table 28.
type Request struct {
	Timestamp int64           `json:"timestamp"` // ms since the Unix epoch
	Sign      string          `json:"sign"`      // SM3 of the exact bytes of Data
	Version   string          `json:"version"`   // at most 10 characters
	Data      json.RawMessage `json:"data"`      // a JSON array of items
}

// Response is the response envelope of table 29. Data is always an array,
// empty on error.
type Response struct {
	Code      Code            `json:"code"`
	Message   string          `json:"message"`
	Timestamp int64           `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// NewRequest builds a signed request whose data is items, marshalled as a
// JSON array.
func NewRequest[T any](now time.Time, items []T) (Request, error) {
	data, err := json.Marshal(items)
	if err != nil {
		return Request{}, err
	}
	return Request{Timestamp: Millis(now), Sign: Sign(data), Version: Version, Data: data}, nil
}

// NewResponse builds a response envelope; data is marshalled as an array
// (nil becomes [], a single object a one-item array), and message is at
// most MaxMessage characters (the code's message when empty).
func NewResponse(code Code, message string, now time.Time, data any) Response {
	raw := json.RawMessage("[]")
	if data != nil {
		if b, err := json.Marshal(data); err == nil && len(b) > 0 {
			switch b[0] {
			case '[':
				raw = b
			case '{':
				raw = append(append([]byte{'['}, b...), ']')
			}
		}
	}
	if message == "" {
		message = code.Message()
	}
	if utf8.RuneCountInString(message) > MaxMessage {
		message = string([]rune(message)[:MaxMessage])
	}
	return Response{Code: code, Message: message, Timestamp: Millis(now), Data: raw}
}

// ErrorResponse builds the response envelope of err: its code and wire
// message, and empty data. An error with no *Error in its chain is code 3.
func ErrorResponse(err error, now time.Time) Response {
	var pe *Error
	if errors.As(err, &pe) {
		return NewResponse(pe.Code, pe.Message(), now, nil)
	}
	return NewResponse(CodeInternal, CodeInternal.Message(), now, nil)
}

// ParseRequest reads a request envelope and splits its data into items.
// Malformed JSON or a field of the wrong JSON type is code 2, a missing
// field 4, a version over 10 characters 1004, and no items or more than
// maxItems 4. A single object in `data` is taken as a one-item array.
// Item errors are reported by the caller with the item's index.
func ParseRequest(body []byte, maxItems int) (Request, []json.RawMessage, error) {
	r, err := ParseEnvelope(body)
	if err != nil {
		return r, nil, err
	}
	items, err := SplitData(r.Data, maxItems)
	return r, items, err
}

// EncryptedData reads the `data` value of an encrypted request (header
// `encrypted: 0`, docs/protocol.md §7), which must be a JSON string (else code 2).
// It returns the bytes between the string's quotes exactly as sent, which
// `sign` covers, and the string's value, the Base64 text for DecryptData.
func EncryptedData(data json.RawMessage) (signed []byte, b64 string, err error) {
	raw := bytes.TrimSpace(data)
	if len(raw) < 2 || raw[0] != '"' || json.Unmarshal(raw, &b64) != nil {
		return nil, "", FieldErrorf(CodeFormat, "data", "must be a JSON string (Base64 of IV and ciphertext) when the request is encrypted (encrypted: 0)")
	}
	return raw[1 : len(raw)-1], b64, nil
}

// ParseEnvelope reads a request envelope with the checks of ParseRequest
// but leaves `data` whole: Data is its raw JSON value, whatever its type.
// A body that is not valid UTF-8 is not JSON: code 2.
func ParseEnvelope(body []byte) (Request, error) {
	if !utf8.Valid(body) {
		return Request{}, Errorf(CodeFormat, "body is not UTF-8, so not JSON")
	}
	get, err := envelopeFields(body)
	if err != nil {
		return Request{}, err
	}
	var r Request
	if r.Timestamp, err = envelopeInt(get, "timestamp"); err != nil {
		return r, err
	}
	if r.Sign, err = envelopeString(get, "sign"); err != nil {
		return r, err
	}
	if r.Version, err = envelopeString(get, "version"); err != nil {
		return r, err
	}
	if r.Sign == "" {
		return r, FieldErrorf(CodeParam, "sign", "is required")
	}
	if r.Version == "" {
		return r, FieldErrorf(CodeParam, "version", "is required")
	}
	if utf8.RuneCountInString(r.Version) > 10 {
		return r, FieldErrorf(CodeTooLong, "version", "(max 10)")
	}
	data, ok := get("data")
	if !ok || isNull(data) {
		return r, FieldErrorf(CodeParam, "data", "is required")
	}
	r.Data = data
	return r, nil
}

// envelopeString reads the required string member name of an envelope.
func envelopeString(get func(string) (json.RawMessage, bool), name string) (string, error) {
	raw, ok := get(name)
	if !ok || isNull(raw) {
		return "", FieldErrorf(CodeParam, name, "is required")
	}
	raw = bytes.TrimSpace(raw)
	if v, ok := plainString(raw); ok {
		return v, nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", FieldErrorf(CodeFormat, name, "has the wrong JSON type")
	}
	return v, nil
}

// envelopeInt reads the required integer member name of an envelope.
func envelopeInt(get func(string) (json.RawMessage, bool), name string) (int64, error) {
	raw, ok := get(name)
	if !ok || isNull(raw) {
		return 0, FieldErrorf(CodeParam, name, "is required")
	}
	raw = bytes.TrimSpace(raw)
	if v, ok := plainInt(raw); ok {
		return v, nil
	}
	var v int64
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, FieldErrorf(CodeFormat, name, "has the wrong JSON type")
	}
	return v, nil
}

// envelopeFields reads the top level of a request body and returns a
// lookup of its members (the last of a repeated key). The body must be a
// JSON object (else code 2).
func envelopeFields(body []byte) (func(string) (json.RawMessage, bool), error) {
	if ms, ok := objectMembers(body); ok {
		return func(k string) (json.RawMessage, bool) { return ms.get(k) }, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return nil, Errorf(CodeFormat, "body is not a JSON object")
	}
	return func(k string) (json.RawMessage, bool) { v, ok := fields[k]; return v, ok }, nil
}

// SplitData splits a `data` value into its items: an array of objects, or
// one object. See ParseRequest for the codes.
func SplitData(data json.RawMessage, maxItems int) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return []json.RawMessage{trimmed}, nil
	}
	items, ok := []json.RawMessage(nil), isNull(trimmed)
	if !ok && json.Valid(trimmed) {
		items, ok = splitArray(trimmed)
	}
	if !ok {
		return nil, FieldErrorf(CodeFormat, "data", "must be an array of objects")
	}
	if len(items) == 0 {
		return nil, FieldErrorf(CodeParam, "data", "has no items")
	}
	if maxItems > 0 && len(items) > maxItems {
		return nil, FieldErrorf(CodeParam, "data", "has %d items (max %d)", len(items), maxItems)
	}
	for i, it := range items {
		if t := bytes.TrimSpace(it); len(t) == 0 || t[0] != '{' {
			return nil, FieldErrorf(CodeFormat, fmt.Sprintf("data[%d]", i), "is not an object")
		}
	}
	return items, nil
}

// ItemPath returns the path prefix of item i, "data[i]".
func ItemPath(i int) string { return fmt.Sprintf("data[%d]", i) }

// AtItem prefixes err's path with data[i].
func AtItem(err error, i int) error { return prefixed(err, ItemPath(i)) }

// DecodeItems decodes and validates every item; the first failure is
// returned with its data[i] path, and no item is returned then.
func DecodeItems[T any, P interface {
	*T
	Item
}](items []json.RawMessage) ([]T, error) {
	out := make([]T, len(items))
	for i, raw := range items {
		v, err := Decode[T, P](raw)
		if err != nil {
			return nil, AtItem(err, i)
		}
		out[i] = v
	}
	return out, nil
}
