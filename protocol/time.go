package protocol

import (
	"encoding/json"
	"reflect"
	"time"
)

// CST is China Standard Time (UTC+8), the zone of every DateTime, Date and
// Time on the wire whatever the zone of the machine (docs/protocol.md §3).
var CST = time.FixedZone("CST", 8*60*60)

// Layouts of table 1's textual types.
const (
	DateTimeLayout = "2006-01-02 15:04:05"
	DateLayout     = "2006-01-02"
	TimeLayout     = "15:04:05"
)

// DateTime is table 1's DateTime, "yyyy-MM-dd HH:mm:ss" in CST. The zero
// value means absent. A DateTime decoded from JSON keeps the text it was
// sent as, so that Validate can report a bad value with code 1005 instead
// of failing the whole decode.
type DateTime struct {
	raw      string
	t        time.Time
	ok       bool
	dateOnly bool
}

// NewDateTime returns the DateTime of t, truncated to the second.
func NewDateTime(t time.Time) DateTime {
	t = t.In(CST).Truncate(time.Second)
	return DateTime{raw: t.Format(DateTimeLayout), t: t, ok: true}
}

// ParseDateTime parses "yyyy-MM-dd HH:mm:ss" in CST.
func ParseDateTime(s string) (DateTime, error) {
	t, err := parseExact(DateTimeLayout, s)
	if err != nil {
		return DateTime{}, err
	}
	return DateTime{raw: s, t: t, ok: true}, nil
}

// Time returns the instant; the zero time when d is absent or invalid.
func (d DateTime) Time() time.Time { return d.t }

// IsZero reports whether d is absent.
func (d DateTime) IsZero() bool { return d.raw == "" && !d.ok }

// Valid reports whether d holds a full DateTime.
func (d DateTime) Valid() bool { return d.ok && !d.dateOnly }

// valid reports whether d holds a parsed value; with dateOnlyOK it also
// accepts a Date (table 7's startDateTime and endDateTime).
func (d DateTime) valid(dateOnlyOK bool) bool { return d.ok && (!d.dateOnly || dateOnlyOK) }

// String returns d as sent, or formatted when built with NewDateTime.
func (d DateTime) String() string { return d.raw }

// MarshalJSON writes the text form.
func (d DateTime) MarshalJSON() ([]byte, error) { return json.Marshal(d.raw) }

// UnmarshalJSON accepts any JSON string (validity is checked by Validate)
// and rejects other JSON types as a type error.
func (d *DateTime) UnmarshalJSON(b []byte) error {
	s, err := unmarshalText(b, "DateTime")
	if err != nil || s == nil {
		return err
	}
	*d = DateTime{raw: *s}
	if t, err := parseExact(DateTimeLayout, *s); err == nil {
		d.t, d.ok = t, true
	} else if t, err := parseExact(DateLayout, *s); err == nil {
		d.t, d.ok, d.dateOnly = t, true, true
	}
	return nil
}

// Date is table 1's Date, "yyyy-MM-dd" in CST.
type Date struct {
	raw string
	t   time.Time
	ok  bool
}

// NewDate returns the CST date of t.
func NewDate(t time.Time) Date {
	t = t.In(CST)
	y, m, dd := t.Date()
	day := time.Date(y, m, dd, 0, 0, 0, 0, CST)
	return Date{raw: day.Format(DateLayout), t: day, ok: true}
}

// ParseDate parses "yyyy-MM-dd".
func ParseDate(s string) (Date, error) {
	t, err := parseExact(DateLayout, s)
	if err != nil {
		return Date{}, err
	}
	return Date{raw: s, t: t, ok: true}, nil
}

// Time returns midnight CST at the start of the date.
func (d Date) Time() time.Time { return d.t }

// IsZero reports whether d is absent.
func (d Date) IsZero() bool { return d.raw == "" && !d.ok }

// String returns the text form.
func (d Date) String() string { return d.raw }

// MarshalJSON writes the text form.
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.raw) }

// UnmarshalJSON accepts any JSON string; Validate checks it.
func (d *Date) UnmarshalJSON(b []byte) error {
	s, err := unmarshalText(b, "Date")
	if err != nil || s == nil {
		return err
	}
	*d = Date{raw: *s}
	if t, err := parseExact(DateLayout, *s); err == nil {
		d.t, d.ok = t, true
	}
	return nil
}

// Time is table 1's Time, "HH:mm:ss".
type Time struct {
	raw string
	d   time.Duration
	ok  bool
}

// ParseTime parses "HH:mm:ss".
func ParseTime(s string) (Time, error) {
	t, err := parseExact(TimeLayout, s)
	if err != nil {
		return Time{}, err
	}
	return Time{raw: s, d: sinceMidnight(t), ok: true}, nil
}

// MustTime is ParseTime for constants; it panics on a malformed value.
func MustTime(s string) Time {
	t, err := ParseTime(s)
	if err != nil {
		panic(err)
	}
	return t
}

func sinceMidnight(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
}

// SinceMidnight returns the time of day as a duration.
func (t Time) SinceMidnight() time.Duration { return t.d }

// IsZero reports whether t is absent.
func (t Time) IsZero() bool { return t.raw == "" && !t.ok }

// String returns the text form.
func (t Time) String() string { return t.raw }

// MarshalJSON writes the text form.
func (t Time) MarshalJSON() ([]byte, error) { return json.Marshal(t.raw) }

// UnmarshalJSON accepts any JSON string; Validate checks it.
func (t *Time) UnmarshalJSON(b []byte) error {
	s, err := unmarshalText(b, "Time")
	if err != nil || s == nil {
		return err
	}
	*t = Time{raw: *s}
	if p, err := parseExact(TimeLayout, *s); err == nil {
		t.d, t.ok = sinceMidnight(p), true
	}
	return nil
}

// parseExact parses s with layout in CST and accepts only the exact form
// of the layout: time.Parse alone also takes "8:30:00", runs of spaces and
// fractional seconds, which are not table 1's formats.
func parseExact(layout, s string) (time.Time, error) {
	t, err := time.ParseInLocation(layout, s, CST)
	if err != nil {
		return time.Time{}, err
	}
	if t.Format(layout) != s {
		return time.Time{}, &time.ParseError{Layout: layout, Value: s, Message: ": not in the form " + layout}
	}
	return t, nil
}

// unmarshalText decodes a JSON string; nil for JSON null; a
// *json.UnmarshalTypeError (which encoding/json completes with the field
// path) for any other JSON type.
func unmarshalText(b []byte, typ string) (*string, error) {
	if string(b) == "null" {
		return nil, nil
	}
	if len(b) == 0 || b[0] != '"' {
		return nil, &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[string]()}
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "empty"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	default:
		return "number"
	}
}

// Millis returns t as milliseconds since the Unix epoch, the wire's
// Timestamp.
func Millis(t time.Time) int64 { return t.UnixMilli() }
