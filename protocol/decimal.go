package protocol

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// Decimal is table 1's Decimal as used for money (table 1 note 1: yuan,
// two places after the point). On the wire it is a JSON number written in
// plain decimal notation, such as 12.5 or 12.50. A Decimal decoded from
// JSON keeps the text it was sent as, so that Validate can report a bad
// value with its field path instead of failing the whole decode:
//   - not a JSON number: 1005 (wrong JSON type);
//   - longer than MaxDecimalLen characters: 1004;
//   - an exponent (1e2) or another form that is not plain decimal: 1005;
//   - more than two places after the point, or negative: 1007.
//
// The zero value means absent.
type Decimal struct {
	raw   string
	cents int64
	ok    bool // raw is plain decimal notation
}

// MaxDecimalLen bounds a Decimal's text: table 1 gives Decimal 16 bytes.
const MaxDecimalLen = 16

// Cents makes the Decimal of an amount in cents (fen): Cents(1250) is 12.50.
func Cents(c int64) Decimal {
	d := Decimal{cents: c, ok: true}
	d.raw = d.String()
	return d
}

// ParseDecimal parses plain decimal notation ("12.5", "-3", "0.05").
// It reports the amount in cents when the text has at most two places.
func ParseDecimal(s string) (Decimal, error) {
	d := Decimal{raw: s}
	d.cents, d.ok = parseCents(s)
	if !d.ok {
		return d, Errorf(CodeType, "%q is not a decimal number", s)
	}
	return d, nil
}

// parseCents reads "[-]digits[.digits]"; places beyond two are kept out
// of the amount and checked by Validate (Places).
func parseCents(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(body, ".")
	if whole == "" || !allDigits(whole) || strings.Contains(body, ".") && (frac == "" || !allDigits(frac)) {
		return 0, false
	}
	if len(whole) > MaxDecimalLen {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	f := frac + "00"
	c, _ := strconv.ParseInt(f[:2], 10, 64)
	v := w*100 + c
	if neg {
		v = -v
	}
	return v, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// IsZero reports whether d is absent.
func (d Decimal) IsZero() bool { return d.raw == "" && !d.ok }

// Cents returns the amount in cents (fen); 0 when d is absent or invalid.
func (d Decimal) Cents() int64 { return d.cents }

// Places returns the number of digits after the point as sent.
func (d Decimal) Places() int {
	_, frac, ok := strings.Cut(d.raw, ".")
	if !ok {
		return 0
	}
	return len(frac)
}

// String returns the amount with two places ("12.50"), or the text as sent
// when it is not a valid amount.
func (d Decimal) String() string {
	if !d.ok || d.Places() > 2 {
		return d.raw
	}
	c := d.cents
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	frac := strconv.FormatInt(c%100, 10)
	if len(frac) < 2 {
		frac = "0" + frac
	}
	return sign + strconv.FormatInt(c/100, 10) + "." + frac
}

// MarshalJSON writes the amount as a JSON number with two places.
func (d Decimal) MarshalJSON() ([]byte, error) {
	if !d.ok {
		return json.Marshal(d.raw) // never sent: Validate refuses it
	}
	return []byte(d.String()), nil
}

// UnmarshalJSON accepts any JSON number (validity is checked by Validate)
// and rejects other JSON types as a type error.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(b) == 0 || !(b[0] == '-' || b[0] >= '0' && b[0] <= '9') {
		kind := jsonKind(b)
		if len(b) > 0 && b[0] == '"' {
			kind = "string"
		}
		return &json.UnmarshalTypeError{Value: kind, Type: reflect.TypeFor[float64]()}
	}
	*d = Decimal{raw: s}
	d.cents, d.ok = parseCents(s)
	return nil
}

// money checks an amount (table 1 note 1): present, at most MaxDecimalLen
// characters as sent and as written back with two places, plain decimal
// notation, at most two places, not negative.
func (c *checker) money(path string, d Decimal, required bool) {
	if d.IsZero() {
		if required {
			c.fail(CodeParam, path, "is required")
		}
		return
	}
	switch {
	case len(d.raw) > MaxDecimalLen:
		c.fail(CodeTooLong, path, "(max %d characters)", MaxDecimalLen)
	case !d.ok:
		c.fail(CodeType, path, "(want a decimal number such as 12.50, without an exponent)")
	case d.Places() > 2:
		c.fail(CodeRange, path, "(yuan with at most 2 places after the point)")
	case d.cents < 0:
		c.fail(CodeRange, path, "(must not be negative)")
	case len(d.String()) > MaxDecimalLen:
		// The platform writes amounts with two places: 10000000000000
		// (14 characters) would go out as 10000000000000.00 (17).
		c.fail(CodeTooLong, path, "(max %d characters written with 2 places, such as %s)", MaxDecimalLen, Cents(999999999999999))
	}
}
