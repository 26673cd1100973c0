package protocol

import (
	"encoding/json"
	"testing"
	"time"
)

// inZone runs f with time.Local set to the named zone.
func inZone(t *testing.T, name string, f func()) {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.FixedZone(name, -5*60*60) // no tzdata: any zone other than CST will do
	}
	saved := time.Local
	time.Local = loc
	defer func() { time.Local = saved }()
	f()
}

func TestDateTimeIsCSTWhateverTheLocalZone(t *testing.T) {
	for _, zone := range []string{"UTC", "America/New_York", "Asia/Shanghai"} {
		t.Run(zone, func(t *testing.T) {
			inZone(t, zone, func() {
				d, err := ParseDateTime("2024-01-01 08:30:00")
				if err != nil {
					t.Fatal(err)
				}
				if got, want := d.Time().UnixMilli(), int64(1704069000000); got != want {
					t.Errorf("instant = %d, want %d", got, want)
				}
				if _, off := d.Time().Zone(); off != 8*60*60 {
					t.Errorf("offset = %d, want +08:00", off)
				}

				var r HeartbeatRequest
				if err := json.Unmarshal([]byte(`{"requestTime":"2024-01-01 08:30:00"}`), &r); err != nil {
					t.Fatal(err)
				}
				if got := Millis(r.RequestTime.Time()); got != 1704069000000 {
					t.Errorf("decoded instant = %d, want 1704069000000", got)
				}

				day, err := ParseDate("2023-09-25")
				if err != nil {
					t.Fatal(err)
				}
				if want := time.Date(2023, 9, 24, 16, 0, 0, 0, time.UTC); !day.Time().Equal(want) {
					t.Errorf("date starts at %v, want %v", day.Time(), want)
				}

				// One instant, late on 31 Dec in UTC, is already 1 Jan in CST.
				utc := time.Date(2023, 12, 31, 20, 15, 30, 999e6, time.UTC)
				if got, want := NewDateTime(utc).String(), "2024-01-01 04:15:30"; got != want {
					t.Errorf("NewDateTime(%v) = %q, want %q", utc, got, want)
				}
				if got, want := NewDate(utc).String(), "2024-01-01"; got != want {
					t.Errorf("NewDate(%v) = %q, want %q", utc, got, want)
				}
				if got := NewDate(utc).Time(); !got.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, CST)) {
					t.Errorf("NewDate(%v).Time() = %v", utc, got)
				}
			})
		})
	}
}

func TestNewDateTimeTruncatesAndRoundTrips(t *testing.T) {
	in := time.Date(2024, 1, 1, 0, 30, 0, 999_999_999, time.UTC)
	d := NewDateTime(in)
	if !d.Valid() || d.IsZero() {
		t.Fatalf("NewDateTime is not valid: %+v", d)
	}
	if want := in.Truncate(time.Second); !d.Time().Equal(want) {
		t.Errorf("Time() = %v, want %v", d.Time(), want)
	}
	b, err := json.Marshal(d)
	if err != nil || string(b) != `"2024-01-01 08:30:00"` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	var back DateTime
	if err := json.Unmarshal(b, &back); err != nil || !back.Valid() || !back.Time().Equal(d.Time()) {
		t.Errorf("Unmarshal = %+v, %v", back, err)
	}
}

func TestParseTextTypes(t *testing.T) {
	tests := []struct {
		name  string
		parse func(string) error
		in    string
		ok    bool
	}{
		{"DateTime", dt, "2024-01-01 08:30:00", true},
		{"DateTime", dt, "2024-02-29 23:59:59", true},
		{"DateTime", dt, "2023-02-29 00:00:00", false},
		{"DateTime", dt, "2024-01-01 8:30:00", false},
		{"DateTime", dt, "2024-01-01  8:30:00", false},
		{"DateTime", dt, "2024-01-01 08:30:00.000", false},
		{"DateTime", dt, "2024-01-01T08:30:00", false},
		{"DateTime", dt, "2024-01-01", false},
		{"DateTime", dt, "", false},
		{"Date", dd, "2023-09-25", true},
		{"Date", dd, "2023-9-25", false},
		{"Date", dd, "2023-09-25 00:00:00", false},
		{"Date", dd, "20230925", false},
		{"Time", tt, "00:00:00", true},
		{"Time", tt, "23:59:59", true},
		{"Time", tt, "24:00:00", false},
		{"Time", tt, "8:00:00", false},
		{"Time", tt, "08:00", false},
		{"Time", tt, "08:00:00.5", false},
	}
	for _, tc := range tests {
		t.Run(tc.name+" "+tc.in, func(t *testing.T) {
			if err := tc.parse(tc.in); (err == nil) != tc.ok {
				t.Errorf("parse(%q) = %v, want ok %v", tc.in, err, tc.ok)
			}
		})
	}
}

func dt(s string) error { _, err := ParseDateTime(s); return err }
func dd(s string) error { _, err := ParseDate(s); return err }
func tt(s string) error { _, err := ParseTime(s); return err }

func TestTimeOfDay(t *testing.T) {
	if got := MustTime("23:59:01").SinceMidnight(); got != 23*time.Hour+59*time.Minute+time.Second {
		t.Errorf("SinceMidnight = %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustTime of a malformed value did not panic")
		}
	}()
	MustTime("25:00:00")
}

func TestTextTypesKeepWhatWasSent(t *testing.T) {
	var v struct {
		A DateTime `json:"a"`
		B Date     `json:"b"`
		C Time     `json:"c"`
	}
	in := `{"a":"2024-13-01 00:00:00","b":"not a date","c":"8:00"}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.Valid() || v.A.IsZero() || v.B.IsZero() || v.C.IsZero() {
		t.Errorf("malformed values: %+v", v)
	}
	out, err := json.Marshal(v)
	if err != nil || string(out) != in {
		t.Errorf("Marshal = %s, %v; want %s", out, err, in)
	}
}

func TestTextTypesRejectOtherJSONTypes(t *testing.T) {
	for _, raw := range []string{`1`, `true`, `{}`, `[]`} {
		var d DateTime
		if err := json.Unmarshal([]byte(raw), &d); err == nil {
			t.Errorf("DateTime accepted %s", raw)
		}
		var day Date
		if err := json.Unmarshal([]byte(raw), &day); err == nil {
			t.Errorf("Date accepted %s", raw)
		}
		var tm Time
		if err := json.Unmarshal([]byte(raw), &tm); err == nil {
			t.Errorf("Time accepted %s", raw)
		}
	}
	var d DateTime
	if err := json.Unmarshal([]byte(`null`), &d); err != nil || !d.IsZero() {
		t.Errorf("null: %+v, %v", d, err)
	}
}

func TestMillis(t *testing.T) {
	if got := Millis(time.Date(2024, 1, 1, 8, 30, 0, 0, CST)); got != 1704069000000 {
		t.Errorf("Millis = %d", got)
	}
}
