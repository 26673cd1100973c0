package protocol

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// offPeakMessages are the off-peak items with their golden valid items.
var offPeakMessages = []message{
	messageOf[OffPeakPackage]("OffPeakPackage", "offpeak_package.json"),
	messageOf[OffPeakPackageStatus]("OffPeakPackageStatus", "offpeak_package_status.json"),
	messageOf[OffPeakOrder]("OffPeakOrder", "offpeak_order.json"),
}

// moneyCases checks a Decimal amount in yuan with two places.
func moneyCases(field string) []itemCase {
	return []itemCase{
		{field + " 0 is accepted", []edit{set(field, "0")}, accepted, ""},
		{field + " with one place is accepted", []edit{set(field, "12.5")}, accepted, ""},
		{field + " with two places is accepted", []edit{set(field, "12.05")}, accepted, ""},
		{field + " of 16 characters is accepted", []edit{set(field, "1234567890123.45")}, accepted, ""},
		{field + " of 17 characters is too long", []edit{set(field, "12345678901234.56")}, tooLong, field},
		{field + " of 13 whole digits is accepted", []edit{set(field, "1234567890123")}, accepted, ""},
		{field + " of 14 whole digits is too long with two places", []edit{set(field, "10000000000000")}, tooLong, field},
		{field + " with three places is out of range", []edit{set(field, "12.505")}, badRange, field},
		{field + " with three places ending in 0 is out of range", []edit{set(field, "12.500")}, badRange, field},
		{field + " negative is out of range", []edit{set(field, "-0.01")}, badRange, field},
		{field + " with an exponent is the wrong type", []edit{set(field, "1.2e1")}, badType, field},
		{field + " as a string is the wrong type", []edit{set(field, `"12.50"`)}, badType, field},
		{field + " as a bool is the wrong type", []edit{set(field, `true`)}, badType, field},
	}
}

// parkRefCases checks the isvParkId/permitNo pair.
func parkRefCases() []itemCase {
	return concat(
		maxCases("isvParkId", 32),
		maxCases("permitNo", 100),
		[]itemCase{
			{"isvParkId alone is accepted", []edit{del("permitNo"), set("isvParkId", str("0a1b2c3d4e5f60718293a4b5c6d7e8f9"))}, accepted, ""},
			{"permitNo alone is accepted", []edit{del("isvParkId"), set("permitNo", str("P-1"))}, accepted, ""},
			{"neither isvParkId nor permitNo is missing isvParkId", []edit{del("isvParkId"), del("permitNo")}, missing, "isvParkId"},
			{"both empty is missing isvParkId", []edit{set("isvParkId", `""`), set("permitNo", `""`)}, missing, "isvParkId"},
		},
	)
}

var offPeakCases = map[string][]itemCase{
	"OffPeakPackage": concat(
		parkRefCases(),
		maxCases("providerCode", 32),
		maxCases("packageNo", 32),
		maxCases("packageName", 50),
		maxCases("remark", 255),
		dictCases("packageType", []int{1, 2, 3, 9}, []int{0, 4, 8, 10, -1}),
		dictCases("status", []int{0, 1}, []int{2, -1}),
		moneyCases("price"),
		countCases("spaces"),
		[]itemCase{
			{"packageNo empty is missing", []edit{set("packageNo", `""`)}, missing, "packageNo"},
			{"providerCode empty is missing", []edit{set("providerCode", `""`)}, missing, "providerCode"},
			{"startTime 24:00:00 is the wrong type", []edit{set("startTime", `"24:00:00"`)}, badType, "startTime"},
			{"endTime of 9 characters is too long", []edit{set("endTime", `"08:00:000"`)}, tooLong, "endTime"},
			{"only the required fields are accepted", []edit{del("packageName"), del("spaces"), del("remark"), del("permitNo")}, accepted, ""},
		},
	),
	"OffPeakPackageStatus": concat(
		parkRefCases(),
		maxCases("packageNo", 32),
		dictCases("status", []int{0, 1}, []int{2, -1}),
	),
	"OffPeakOrder": concat(
		parkRefCases(),
		maxCases("orderNo", 64),
		maxCases("packageNo", 32),
		maxCases("plateNo", 20),
		dictCases("plateColor", []int{1, 6}, []int{0, 7}),
		dictCases("status", []int{0, 1, 2, 3, 4}, []int{5, -1}),
		moneyCases("amount"),
		dateTimeCases("orderTime"),
		[]itemCase{
			{"plateNo of spaces is missing", []edit{set("plateNo", `"   "`)}, missing, "plateNo"},
			{"startTime with only a date is the wrong type", []edit{set("startTime", `"2024-01-01"`)}, badType, "startTime"},
			{"endTime before startTime is out of range", []edit{set("endTime", `"2024-01-01 18:59:59"`)}, badRange, "endTime"},
			{"without startTime and endTime is accepted", []edit{del("startTime"), del("endTime")}, accepted, ""},
		},
	),
}

func TestDecodeOffPeakMessages(t *testing.T) {
	for _, m := range offPeakMessages {
		t.Run(m.name, func(t *testing.T) {
			doc := goldenItem(t, m.file)
			cases := append(generatedCases(t, m, doc), offPeakCases[m.name]...)
			seen := map[string]bool{}
			for _, tc := range cases {
				if seen[tc.name] {
					t.Fatalf("duplicate case %q", tc.name)
				}
				seen[tc.name] = true
				t.Run(tc.name, func(t *testing.T) {
					_, err := m.decode(applyEdits(t, doc, tc.edits...))
					assertError(t, err, tc.code, tc.path)
				})
			}
		})
	}
}

func TestDecodeOffPeakGoldenItemsRoundTrip(t *testing.T) {
	for _, m := range offPeakMessages {
		t.Run(m.name, func(t *testing.T) {
			doc := goldenItem(t, m.file)
			v, err := m.decode(doc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, doc) {
				t.Errorf("marshal of decoded golden item:\n got %s\nwant %s", got, doc)
			}
		})
	}
}

func TestDecimalCentsAndText(t *testing.T) {
	tests := []struct {
		text  string
		cents int64
		out   string
	}{
		{"0", 0, "0.00"}, {"12.5", 1250, "12.50"}, {"12.05", 1205, "12.05"}, {"300", 30000, "300.00"},
		{"0.01", 1, "0.01"}, {"99999999.99", 9999999999, "99999999.99"},
	}
	for _, tc := range tests {
		d, err := ParseDecimal(tc.text)
		if err != nil {
			t.Fatalf("ParseDecimal(%q): %v", tc.text, err)
		}
		if d.Cents() != tc.cents || d.String() != tc.out {
			t.Errorf("ParseDecimal(%q) = %d cents %q, want %d %q", tc.text, d.Cents(), d.String(), tc.cents, tc.out)
		}
		if b, _ := json.Marshal(d); string(b) != tc.out {
			t.Errorf("marshal %q = %s, want %s", tc.text, b, tc.out)
		}
	}
	if c := Cents(1205); c.String() != "12.05" || c.Cents() != 1205 {
		t.Errorf("Cents(1205) = %q", c.String())
	}
	for _, bad := range []string{"", "-", ".5", "5.", "1e2", "0x10", "1.2.3", "+1"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("ParseDecimal(%q) accepted", bad)
		}
	}
}

func TestOffPeakInterfacesAreUplinkButNotTable30(t *testing.T) {
	for _, i := range OffPeak {
		if !i.IsUplink() || !i.IsOffPeak() || i.Shared() || !i.NeedsToken() || !i.InTimestampWindow() {
			t.Errorf("%s: uplink %v offPeak %v shared %v", i, i.IsUplink(), i.IsOffPeak(), i.Shared())
		}
		for _, u := range Uplink {
			if u == i {
				t.Errorf("%s is listed in table 30's Uplink", i)
			}
		}
	}
	if !Login.Shared() || !HeartBeats.Shared() || ParkInfoCode.Shared() || ParkInfoCode.IsOffPeak() {
		t.Error("login and heartBeats are shared; parkInfo is neither shared nor off-peak")
	}
}

// TestOffPeakDocExamplesAreSignedAndValid checks docs/offpeak.md: every
// example request carries the SM3 sign of its data and items that decode,
// in the order package, package status, order.
func TestOffPeakDocExamplesAreSignedAndValid(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "offpeak.md"))
	if err != nil {
		t.Fatal(err)
	}
	decoders := []func([]json.RawMessage) error{
		func(items []json.RawMessage) error { _, err := DecodeItems[OffPeakPackage](items); return err },
		func(items []json.RawMessage) error { _, err := DecodeItems[OffPeakPackageStatus](items); return err },
		func(items []json.RawMessage) error { _, err := DecodeItems[OffPeakOrder](items); return err },
	}
	n := 0
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, `{"timestamp"`) {
			continue
		}
		env, items, err := ParseRequest([]byte(line), DefaultMaxItems)
		if err != nil {
			t.Fatalf("example %d: %v", n, err)
		}
		if !Verify(env.Data, env.Sign) {
			t.Errorf("example %d: sign %s is not SM3 of its data (%s)", n, env.Sign, Sign(env.Data))
		}
		if n < len(decoders) {
			if err := decoders[n](items); err != nil {
				t.Errorf("example %d: %v", n, err)
			}
		}
		n++
	}
	if n != len(decoders) {
		t.Errorf("%d example requests, want %d", n, len(decoders))
	}
}

// FuzzDecodeOffPeak decodes an item as each off-peak message: it must
// never panic, every error must be a well-formed *Error, and an accepted
// item (prices included) must survive marshal and decode.
func FuzzDecodeOffPeak(f *testing.F) {
	for _, m := range offPeakMessages {
		doc := goldenItem(f, m.file)
		for _, tc := range offPeakCases[m.name] {
			f.Add(applyEdits(f, doc, tc.edits...))
		}
	}
	for _, s := range []string{`{"price":-0}`, `{"price":0.000}`, `{"amount":99999999999999999999}`, `{"price":1E2}`, `{"price":"1"}`} {
		f.Add([]byte(s))
	}
	fuzzDecode(f, offPeakMessages...)
}
