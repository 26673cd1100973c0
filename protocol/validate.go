package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Item is a message of the standard that can be decoded from one element
// of a request's `data` array and validated.
type Item interface {
	// Validate checks every field (length in characters, dictionary, range,
	// format) and returns an *Error whose Path is relative to the item.
	Validate() error
	// RequiredFields names the keys that must be present and not null.
	RequiredFields() []string
}

// Decode decodes one element of `data` into T and validates it, checking
// in this order for each field (docs/protocol.md §3): missing 4, wrong JSON type
// 1005, then length 1004, format 1005 and range 1007 from Validate. The
// returned *Error's path is relative to the item.
func Decode[T any, P interface {
	*T
	Item
}](raw []byte) (T, error) {
	var v T
	if err := decodeInto(raw, P(&v)); err != nil {
		return v, err
	}
	if err := P(&v).Validate(); err != nil {
		return v, err
	}
	return v, nil
}

func decodeInto(raw []byte, v Item) error {
	if err := checkSurrogates(raw); err != nil {
		return err
	}
	if _, nested := v.(nestedChecker); !nested {
		if ms, ok := objectMembers(raw); ok {
			for _, name := range v.RequiredFields() {
				f, ok := ms.get(name)
				if !ok || isNull(f) {
					return FieldErrorf(CodeParam, name, "is required")
				}
			}
			if err := json.Unmarshal(raw, v); err != nil {
				return typeError(err)
			}
			return nil
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return Errorf(CodeFormat, "item is not a JSON object")
	}
	for _, name := range v.RequiredFields() {
		f, ok := fields[name]
		if !ok || isNull(f) {
			return FieldErrorf(CodeParam, name, "is required")
		}
	}
	if n, ok := v.(nestedChecker); ok {
		if err := n.checkNested(fields); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return typeError(err)
	}
	return nil
}

// nestedChecker is implemented by items with arrays of objects, whose
// elements need the same presence and type checks with indexed paths.
type nestedChecker interface {
	checkNested(fields map[string]json.RawMessage) error
}

// decodeList checks that raw, if present, is an array of objects and
// decodes each element with Decode, prefixing errors with name[i].
func decodeList[T any, P interface {
	*T
	Item
}](fields map[string]json.RawMessage, name string) error {
	raw, ok := fields[name]
	if !ok || isNull(raw) {
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return FieldErrorf(CodeType, name, "must be an array")
	}
	for i, e := range elems {
		path := fmt.Sprintf("%s[%d]", name, i)
		if t := bytes.TrimSpace(e); len(t) == 0 || t[0] != '{' {
			return FieldErrorf(CodeType, path, "must be an object")
		}
		var v T
		if err := decodeInto(e, P(&v)); err != nil {
			return prefixed(err, path)
		}
	}
	return nil
}

func prefixed(err error, prefix string) error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Prefix(prefix)
	}
	return err
}

func isNull(b json.RawMessage) bool { return string(bytes.TrimSpace(b)) == "null" }

func typeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		// Value is "number 1.5" for a number: name only the JSON type, so
		// the message does not echo a literal of any length (table 29
		// bounds it to 255 characters).
		kind, _, _ := strings.Cut(te.Value, " ")
		path := te.Field
		if path == "" {
			return Errorf(CodeType, "wrong JSON type %s", kind)
		}
		return FieldErrorf(CodeType, path, "wrong JSON type (%s)", kind)
	}
	return Errorf(CodeFormat, "malformed item: %v", err)
}

// checker collects the first validation failure. Its methods are the
// building blocks of every Validate method: required, max length in
// characters, exact-format types, dictionaries and ranges.
type checker struct{ err *Error }

func (c *checker) fail(code Code, path, format string, args ...any) {
	if c.err == nil {
		c.err = FieldErrorf(code, path, format, args...)
	}
}

func (c *checker) result() error {
	if c.err == nil {
		return nil
	}
	return c.err
}

// str checks a string: empty is missing (4) when required; more than max
// characters is 1004 (max 0 means no limit).
func (c *checker) str(path, s string, required bool, max int) {
	if s == "" {
		if required {
			c.fail(CodeParam, path, "is required")
		}
		return
	}
	if max > 0 && utf8.RuneCountInString(s) > max {
		c.fail(CodeTooLong, path, "(max %d)", max)
	}
	c.noNUL(path, s)
}

// noNUL refuses a NUL character (1005): no text field of the standard
// holds one, and databases cannot store it.
func (c *checker) noNUL(path, s string) {
	if strings.IndexByte(s, 0) >= 0 {
		c.fail(CodeType, path, "(contains a NUL character)")
	}
}

// strRange checks a string whose length must lie in [min, max] characters.
func (c *checker) strRange(path, s string, required bool, min, max int) {
	if s == "" {
		c.str(path, s, required, max)
		return
	}
	if n := utf8.RuneCountInString(s); n < min || n > max {
		c.fail(CodeTooLong, path, "(length %d-%d)", min, max)
	}
	c.noNUL(path, s)
}

// uuid checks table 1's Uuid: exactly 32 characters of [0-9A-Za-z].
func (c *checker) uuid(path, s string, required bool) {
	if s == "" {
		c.str(path, s, required, 32)
		return
	}
	if utf8.RuneCountInString(s) != 32 {
		c.fail(CodeTooLong, path, "(Uuid is 32 characters)")
		return
	}
	if !IsUuid(s) {
		c.fail(CodeType, path, "(Uuid takes only 0-9, A-Z and a-z)")
	}
}

// IsUuid reports whether s is table 1's Uuid: 32 characters of [0-9A-Za-z].
func IsUuid(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z') {
			return false
		}
	}
	return true
}

func (c *checker) dateTime(path string, d DateTime, required, dateOK bool) {
	if d.IsZero() {
		if required {
			c.fail(CodeParam, path, "is required")
		}
		return
	}
	if utf8.RuneCountInString(d.raw) > 19 {
		c.fail(CodeTooLong, path, "(max 19)")
		return
	}
	if !d.valid(dateOK) {
		if dateOK {
			c.fail(CodeType, path, "(want yyyy-MM-dd or yyyy-MM-dd HH:mm:ss)")
		} else {
			c.fail(CodeType, path, "(want yyyy-MM-dd HH:mm:ss)")
		}
	}
}

func (c *checker) date(path string, d Date, required bool) {
	if d.IsZero() {
		if required {
			c.fail(CodeParam, path, "is required")
		}
		return
	}
	if utf8.RuneCountInString(d.raw) > 10 {
		c.fail(CodeTooLong, path, "(max 10)")
		return
	}
	if !d.ok {
		c.fail(CodeType, path, "(want yyyy-MM-dd)")
	}
}

func (c *checker) time(path string, t Time, required bool) {
	if t.IsZero() {
		if required {
			c.fail(CodeParam, path, "is required")
		}
		return
	}
	if utf8.RuneCountInString(t.raw) > 8 {
		c.fail(CodeTooLong, path, "(max 8)")
		return
	}
	if !t.ok {
		c.fail(CodeType, path, "(want HH:mm:ss)")
	}
}

// dict checks a dictionary value.
func (c *checker) dict(path string, ok bool, v int) {
	if !ok {
		c.fail(CodeRange, path, "(%d is not in the dictionary)", v)
	}
}

// optDict checks an optional dictionary value.
func optDict[T interface {
	~int
	Valid() bool
}](c *checker, path string, v *T) {
	if v != nil {
		c.dict(path, (*v).Valid(), int(*v))
	}
}

// count checks a non-negative Int (4 bytes).
func (c *checker) count(path string, v int) {
	if v < 0 || v > math.MaxInt32 {
		c.fail(CodeRange, path, "(must be 0-%d)", math.MaxInt32)
	}
}

func (c *checker) optCount(path string, v *int) {
	if v != nil {
		c.count(path, *v)
	}
}

// intRange checks min <= v <= max.
func (c *checker) intRange(path string, v, min, max int) {
	if v < min || v > max {
		c.fail(CodeRange, path, "(must be %d-%d)", min, max)
	}
}

// Coordinate bounds (docs/protocol.md §3): GCJ-02 over China.
const (
	MinLongitude = 73.0
	MaxLongitude = 135.5
	MinLatitude  = 3.5
	MaxLatitude  = 53.6
)

func (c *checker) lngLat(prefix string, lng, lat float64) {
	if math.IsNaN(lng) || lng < MinLongitude || lng > MaxLongitude {
		c.fail(CodeRange, prefix+"longitude", "(must be %.1f-%.1f)", MinLongitude, MaxLongitude)
	}
	if math.IsNaN(lat) || lat < MinLatitude || lat > MaxLatitude {
		c.fail(CodeRange, prefix+"latitude", "(must be %.1f-%.1f)", MinLatitude, MaxLatitude)
	}
}

// NormalizePlate trims a plate and upper-cases its ASCII letters
// (docs/protocol.md §3).
func NormalizePlate(s string) string {
	s = strings.TrimSpace(s)
	b := []byte(s)
	for i, ch := range b {
		if 'a' <= ch && ch <= 'z' {
			b[i] = ch - 'a' + 'A'
		}
	}
	return string(b)
}

func itoa(i int) string { return fmt.Sprint(i) }
