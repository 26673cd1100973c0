package sqlstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Column codecs. Each scanner implements database/sql's Scanner and the
// pgtype scanner interface pgx decodes the column's type with, so rows
// decode without reflection on either driver.

// timeCol scans unix milliseconds (NULL: the zero time).
type timeCol struct{ p *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = time.Time{}
	case int64:
		*c.p = time.UnixMilli(v)
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

// ScanInt64 implements pgtype.Int64Scanner.
func (c timeCol) ScanInt64(v pgtype.Int8) error {
	if !v.Valid {
		*c.p = time.Time{}
		return nil
	}
	*c.p = time.UnixMilli(v.Int64)
	return nil
}

func asTime(p *time.Time) timeCol { return timeCol{p} }

// rawArg is the column value of a JSON document: its text, or NULL.
func rawArg(m json.RawMessage) any {
	if m == nil {
		return nil
	}
	return string(m)
}

// rawCol scans a JSON document, keeping its bytes (NULL: nil, empty text:
// an empty, non-nil document).
type rawCol struct{ p *json.RawMessage }

// Scan implements sql.Scanner.
func (c rawCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = nil
	case string:
		*c.p = json.RawMessage(v)
	case []byte:
		*c.p = bytes.Clone(v)
	default:
		return fmt.Errorf("JSON column holds %T", src)
	}
	return nil
}

// ScanText implements pgtype.TextScanner.
func (c rawCol) ScanText(v pgtype.Text) error {
	if !v.Valid {
		*c.p = nil
		return nil
	}
	*c.p = json.RawMessage(v.String)
	return nil
}

func asRaw(p *json.RawMessage) rawCol { return rawCol{p} }

// stringsArg is the column value of a string list: JSON, "null" for nil.
func stringsArg(v []string) string {
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

// stringsCol scans a string list stored as JSON.
type stringsCol struct{ p *[]string }

// Scan implements sql.Scanner.
func (c stringsCol) Scan(src any) error {
	*c.p = nil
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), c.p)
	case []byte:
		return json.Unmarshal(v, c.p)
	default:
		return fmt.Errorf("list column holds %T", src)
	}
}

// ScanText implements pgtype.TextScanner.
func (c stringsCol) ScanText(v pgtype.Text) error {
	if !v.Valid {
		return errors.New("list column is NULL")
	}
	*c.p = nil
	return json.Unmarshal([]byte(v.String), c.p)
}

func asStrings(p *[]string) stringsCol { return stringsCol{p} }

// dataKey is the stored form of an account's data key: NULL when it has
// none, so an empty key reads back as nil.
func dataKey(k []byte) any {
	if len(k) == 0 {
		return nil
	}
	return k
}
