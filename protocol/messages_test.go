package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"
)

// itemCase is one decode of a golden item with edits applied: code CodeOK
// means it must be accepted, otherwise rejected with code at path.
type itemCase struct {
	name  string
	edits []edit
	code  Code
	path  string
}

// Codes, short.
const (
	accepted = CodeOK
	missing  = CodeParam
	tooLong  = CodeTooLong
	badType  = CodeType
	badRange = CodeRange
)

const (
	uuid31     = "a1b2c3d4e5f60718293a4b5c6d7e8f9"
	uuid33     = "a1b2c3d4e5f60718293a4b5c6d7e8f900"
	uuidHyphen = "a1b2c3d4-5f60718293a4b5c6d7e8f90"
)

// uuidCases checks a Uuid field: 32 characters of [0-9A-Za-z].
func uuidCases(field string) []itemCase {
	return []itemCase{
		{field + " of 31 characters is too long for a Uuid", []edit{set(field, str(uuid31))}, tooLong, field},
		{field + " of 33 characters is too long for a Uuid", []edit{set(field, str(uuid33))}, tooLong, field},
		{field + " with a hyphen is not a Uuid", []edit{set(field, str(uuidHyphen))}, badType, field},
		{field + " of 32 Chinese characters is not a Uuid", []edit{set(field, str(runes("停", 32)))}, badType, field},
		{field + " in upper case is a Uuid", []edit{set(field, str("A1B2C3D4E5F60718293A4B5C6D7E8F90"))}, accepted, ""},
		{field + " empty is missing", []edit{set(field, `""`)}, missing, field},
	}
}

// maxCases checks a string field of at most max characters, counted in
// characters: max Chinese characters (3 bytes each) are accepted.
func maxCases(field string, max int) []itemCase {
	return []itemCase{
		{field + " of " + itoa(max) + " Chinese characters is accepted", []edit{set(field, str(runes("粤", max)))}, accepted, ""},
		{field + " of " + itoa(max+1) + " characters is too long", []edit{set(field, str(runes("粤", max+1)))}, tooLong, field},
	}
}

// dictCases checks a dictionary field: every value of good is accepted,
// every value of bad is 1007.
func dictCases(field string, good, bad []int) []itemCase {
	var out []itemCase
	for _, v := range good {
		out = append(out, itemCase{field + " " + itoa(v) + " is in the dictionary", []edit{set(field, itoa(v))}, accepted, ""})
	}
	for _, v := range bad {
		out = append(out, itemCase{field + " " + itoa(v) + " is outside the dictionary", []edit{set(field, itoa(v))}, badRange, field})
	}
	return out
}

// countCases checks a non-negative Int field.
func countCases(field string) []itemCase {
	return []itemCase{
		{field + " 0 is accepted", []edit{set(field, "0")}, accepted, ""},
		{field + " 2147483647 is accepted", []edit{set(field, "2147483647")}, accepted, ""},
		{field + " negative is out of range", []edit{set(field, "-1")}, badRange, field},
		{field + " over 4 bytes is out of range", []edit{set(field, "2147483648")}, badRange, field},
		{field + " fractional is the wrong type", []edit{set(field, "1.5")}, badType, field},
	}
}

// dateTimeCases checks a DateTime field (a Date is not enough).
func dateTimeCases(field string) []itemCase {
	return []itemCase{
		{field + " unparseable month is the wrong type", []edit{set(field, `"2024-13-01 08:30:00"`)}, badType, field},
		{field + " unparseable hour is the wrong type", []edit{set(field, `"2024-01-01 25:00:00"`)}, badType, field},
		{field + " with a one-digit hour is the wrong type", []edit{set(field, `"2024-01-01 8:30:00"`)}, badType, field},
		{field + " with two spaces and a one-digit hour is the wrong type", []edit{set(field, `"2024-01-01  8:30:00"`)}, badType, field},
		{field + " in ISO 8601 form is the wrong type", []edit{set(field, `"2024-01-01T08:30:00"`)}, badType, field},
		{field + " with only a date is the wrong type", []edit{set(field, `"2024-01-01"`)}, badType, field},
		{field + " of 20 characters is too long", []edit{set(field, `"2024-01-01 08:30:00Z"`)}, tooLong, field},
		{field + " with fractional seconds is too long", []edit{set(field, `"2024-01-01 08:30:00.5"`)}, tooLong, field},
		{field + " empty is missing", []edit{set(field, `""`)}, missing, field},
		{field + " on a leap day is accepted", []edit{set(field, `"2024-02-29 23:59:59"`)}, accepted, ""},
	}
}

// lngLatCases checks the coordinate bounds of docs/protocol.md §3.
func lngLatCases() []itemCase {
	return []itemCase{
		{"longitude 73.0 is accepted", []edit{set("longitude", "73.0")}, accepted, ""},
		{"longitude 135.5 is accepted", []edit{set("longitude", "135.5")}, accepted, ""},
		{"longitude 72.99 is out of range", []edit{set("longitude", "72.99")}, badRange, "longitude"},
		{"longitude 135.51 is out of range", []edit{set("longitude", "135.51")}, badRange, "longitude"},
		{"longitude 0 is out of range", []edit{set("longitude", "0")}, badRange, "longitude"},
		{"latitude 3.5 is accepted", []edit{set("latitude", "3.5")}, accepted, ""},
		{"latitude 53.6 is accepted", []edit{set("latitude", "53.6")}, accepted, ""},
		{"latitude 3.49 is out of range", []edit{set("latitude", "3.49")}, badRange, "latitude"},
		{"latitude 53.61 is out of range", []edit{set("latitude", "53.61")}, badRange, "latitude"},
		{"latitude -22.5 is out of range", []edit{set("latitude", "-22.5")}, badRange, "latitude"},
		{"swapped coordinates are out of range", []edit{set("longitude", "22.543099"), set("latitude", "114.057868")}, badRange, "longitude"},
	}
}

// carCases checks the optional appendix C-E fields of records and
// reservations.
func carCases() []itemCase {
	var out []itemCase
	out = append(out, dictCases("carModel", []int{1, 27, 31, 32, 41, 43, 51, 52, 99}, []int{0, 28, 30, 33, 40, 44, 50, 53, 98, 100, -1})...)
	out = append(out, dictCases("carColor", []int{1, 8}, []int{0, 9})...)
	out = append(out, dictCases("plateColor", []int{1, 6}, []int{0, 7})...)
	out = append(out,
		itemCase{"carModel as the string \"01\" is the wrong type", []edit{set("carModel", `"01"`)}, badType, "carModel"},
		itemCase{"without carModel, carColor and plateColor is accepted", []edit{del("carModel"), del("carColor"), del("plateColor")}, accepted, ""},
	)
	return out
}

func concat(lists ...[]itemCase) []itemCase {
	var out []itemCase
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// publicInfos returns a JSON array of n business-hours entries.
func publicInfos(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = `{"type":1,"startTime":"00:00:00","endTime":"23:59:00"}`
	}
	return "[" + strings.Join(items, ",") + "]"
}

// specificCases holds, per message, the cases beyond the generated ones
// (valid, missing, null, wrong JSON type).
var specificCases = map[string][]itemCase{
	"LoginRequest": concat(
		maxCases("userId", 32),
		maxCases("password", 64),
		[]itemCase{
			{"userId empty is missing", []edit{set("userId", `""`)}, missing, "userId"},
			{"password empty is missing", []edit{set("password", `""`)}, missing, "password"},
			{"an unknown field is ignored", []edit{set("tenant", `{"x":[1,2]}`)}, accepted, ""},
		},
	),
	"HeartbeatRequest": dateTimeCases("requestTime"),
	"ParkInfo": concat(
		maxCases("parkName", 255),
		uuidCases("parkCode"),
		[]itemCase{
			{"permitNo empty is accepted (non-commercial park)", []edit{set("permitNo", `""`)}, accepted, ""},
		},
		maxCases("permitNo", 100),
		dictCases("parkType", []int{0, 1, 2}, []int{3, -1}),
		maxCases("address", 255),
		lngLatCases(),
		maxCases("areaCode", 50),
		[]itemCase{
			{"areaCode outside appendix F is left to Regions.Check", []edit{set("areaCode", `"110101"`)}, accepted, ""},
			{"imageId empty is missing", []edit{set("imageId", `""`)}, missing, "imageId"},
			{"parkName empty is missing", []edit{set("parkName", `""`)}, missing, "parkName"},
		},
		dictCases("serviceType", []int{1, 17}, []int{0, 18}),
		dictCases("bizStatus", []int{0, 1}, []int{2, -1}),
		countCases("totalSpaces"),
		countCases("monthCardSpaces"),
		countCases("fixedSpaces"),
		countCases("tempSpaces"),
		countCases("totalCharingSpaces"),
		dictCases("reservable", []int{0, 1}, []int{2}),
		countCases("reservableSpaces"),
		countCases("totalReservableCharingSpaces"),
		maxCases("imageId", 32),
		maxCases("chargeDesc", 255),
		maxCases("contacts", 50),
		maxCases("tel", 20),
		dictCases("committeeInfo", []int{0, 1}, []int{2}),
		dictCases("structuralType", []int{1, 5}, []int{0, 6}),
		maxCases("structuralPhotoId", 255),
		maxCases("mapImageId", 32),
		maxCases("parkingSpaceImageId", 32),
		maxCases("photoIds[1]", 32),
		[]itemCase{
			{"only the required fields are accepted", []edit{del("monthCardSpaces"), del("fixedSpaces"), del("tempSpaces"),
				del("totalCharingSpaces"), del("chargeDesc"), del("publicInfos"), del("contacts"), del("tel"),
				del("committeeInfo"), del("structuralType"), del("structuralPhotoId"), del("mapImageId"),
				del("parkingSpaceImageId"), del("photoIds")}, accepted, ""},
			{"photoIds with an empty id is missing that id", []edit{set("photoIds[0]", `""`)}, missing, "photoIds[0]"},
			{"photoIds with a number is the wrong type", []edit{set("photoIds[1]", `5`)}, badType, "photoIds"},
			{"publicInfos empty is accepted", []edit{set("publicInfos", "[]")}, accepted, ""},
			{"publicInfos of 200 items is accepted", []edit{set("publicInfos", publicInfos(200))}, accepted, ""},
			{"publicInfos of 201 items is too long", []edit{set("publicInfos", publicInfos(201))}, tooLong, "publicInfos"},
			{"publicInfos element that is not an object is the wrong type", []edit{set("publicInfos[1]", `"00:00:00"`)}, badType, "publicInfos[1]"},
			{"publicInfos element null is the wrong type", []edit{set("publicInfos[0]", `null`)}, badType, "publicInfos[0]"},
			{"publicInfos type 4 without startDateTime is missing it", []edit{del("publicInfos[1].startDateTime")}, missing, "publicInfos[1].startDateTime"},
			{"publicInfos type 4 without endDateTime is missing it", []edit{del("publicInfos[1].endDateTime")}, missing, "publicInfos[1].endDateTime"},
			{"publicInfos type 4 with startDateTime null is missing it", []edit{set("publicInfos[1].startDateTime", "null")}, missing, "publicInfos[1].startDateTime"},
			{"publicInfos type 4 with startDateTime empty is missing it", []edit{set("publicInfos[1].startDateTime", `""`)}, missing, "publicInfos[1].startDateTime"},
			{"publicInfos type 4 with Dates is accepted", []edit{set("publicInfos[1].startDateTime", `"2023-04-19"`), set("publicInfos[1].endDateTime", `"2023-04-19"`)}, accepted, ""},
			{"publicInfos type 4 with DateTimes is accepted", []edit{set("publicInfos[1].startDateTime", `"2023-04-19 00:00:00"`), set("publicInfos[1].endDateTime", `"2023-04-19 23:59:59"`)}, accepted, ""},
			{"publicInfos type 1 with dates is accepted", []edit{set("publicInfos[0].startDateTime", `"2023-04-19"`)}, accepted, ""},
			{"publicInfos type 1 with a bad date is the wrong type", []edit{set("publicInfos[0].endDateTime", `"2023-04-31"`)}, badType, "publicInfos[0].endDateTime"},
			{"publicInfos startDateTime unparseable is the wrong type", []edit{set("publicInfos[1].startDateTime", `"2024-02-30"`)}, badType, "publicInfos[1].startDateTime"},
			{"publicInfos startDateTime of 20 characters is too long", []edit{set("publicInfos[1].startDateTime", `"2024-02-10 00:00:00Z"`)}, tooLong, "publicInfos[1].startDateTime"},
			{"publicInfos type 0 is outside the dictionary", []edit{set("publicInfos[0].type", "0")}, badRange, "publicInfos[0].type"},
			{"publicInfos type 5 is outside the dictionary", []edit{set("publicInfos[1].type", "5")}, badRange, "publicInfos[1].type"},
			{"publicInfos startTime 24:00:00 is the wrong type", []edit{set("publicInfos[0].startTime", `"24:00:00"`)}, badType, "publicInfos[0].startTime"},
			{"publicInfos startTime with a one-digit hour is the wrong type", []edit{set("publicInfos[0].startTime", `"8:00:00"`)}, badType, "publicInfos[0].startTime"},
			{"publicInfos endTime of 9 characters is too long", []edit{set("publicInfos[1].endTime", `"22:00:000"`)}, tooLong, "publicInfos[1].endTime"},
			{"publicInfos endTime empty is missing", []edit{set("publicInfos[1].endTime", `""`)}, missing, "publicInfos[1].endTime"},
			{"publicInfos endTime as a number is the wrong type", []edit{set("publicInfos[1].endTime", `2200`)}, badType, "publicInfos[1].endTime"},
			{"a missing top-level field is reported before a nested one", []edit{del("parkName"), del("publicInfos[1].type")}, missing, "parkName"},
		},
	),
	"EntranceExitInfo": concat(
		uuidCases("parkCode"),
		maxCases("name", 20),
		dictCases("type", []int{1, 2, 3}, []int{0, 4}),
		dictCases("status", []int{1, 2, 3}, []int{0, 4}),
		lngLatCases(),
		maxCases("roadName", 10),
		[]itemCase{
			{"entranceExitCode of 5 characters is too short", []edit{set("entranceExitCode", `"GATE1"`)}, tooLong, "entranceExitCode"},
			{"entranceExitCode of 6 characters is accepted", []edit{set("entranceExitCode", `"出入口一二三"`)}, accepted, ""},
			{"entranceExitCode of 32 characters is accepted", []edit{set("entranceExitCode", str(runes("口", 32)))}, accepted, ""},
			{"entranceExitCode of 33 characters is too long", []edit{set("entranceExitCode", str(runes("口", 33)))}, tooLong, "entranceExitCode"},
			{"entranceExitCode empty is missing", []edit{set("entranceExitCode", `""`)}, missing, "entranceExitCode"},
			{"without roadName is accepted", []edit{del("roadName")}, accepted, ""},
		},
	),
	"EnterRecord": concat(
		uuidCases("parkCode"),
		uuidCases("id"),
		maxCases("plateNo", 20),
		dateTimeCases("enterTime"),
		maxCases("entryCarPhotoId", 32),
		maxCases("entranceCode", 32),
		maxCases("entranceName", 20),
		maxCases("bookCode", 32),
		carCases(),
		[]itemCase{
			{"plateNo of 20 characters mixing Chinese and ASCII is accepted", []edit{set("plateNo", str("粤B12345"+runes("粤", 13)))}, accepted, ""},
			{"plateNo of 21 characters mixing Chinese and ASCII is too long", []edit{set("plateNo", str("粤B12345"+runes("粤", 14)))}, tooLong, "plateNo"},
			{"plateNo empty is missing", []edit{set("plateNo", `""`)}, missing, "plateNo"},
			{"plateNo in lower case is accepted", []edit{set("plateNo", `"粤b12345"`)}, accepted, ""},
			{"entryCarPhotoId empty is missing", []edit{set("entryCarPhotoId", `""`)}, missing, "entryCarPhotoId"},
			{"entranceCode empty is missing", []edit{set("entranceCode", `""`)}, missing, "entranceCode"},
			{"only the required fields are accepted", []edit{del("entranceName"), del("carModel"), del("carColor"), del("plateColor"), del("bookCode")}, accepted, ""},
		},
	),
	"ExitRecord": concat(
		uuidCases("parkCode"),
		uuidCases("id"),
		maxCases("plateNo", 20),
		dateTimeCases("leaveTime"),
		maxCases("exitCarPhotoId", 32),
		maxCases("exitCode", 32),
		maxCases("exitName", 20),
		maxCases("bookCode", 32),
		carCases(),
		[]itemCase{
			{"exitCarPhotoId empty is missing", []edit{set("exitCarPhotoId", `""`)}, missing, "exitCarPhotoId"},
			{"exitCode empty is missing", []edit{set("exitCode", `""`)}, missing, "exitCode"},
			{"only the required fields are accepted", []edit{del("exitName"), del("carModel"), del("carColor"), del("plateColor"), del("bookCode")}, accepted, ""},
		},
	),
	"ParkSpaceInfo": concat(
		uuidCases("parkCode"),
		countCases("usedStalls"),
		countCases("reservedStalls"),
		countCases("usedCharingStalls"),
		countCases("unusedStalls"),
		countCases("unusedReservableStalls"),
		countCases("unusedCharingStalls"),
		countCases("unusedMonthCardSpaces"),
		countCases("unusedFixedSpaces"),
		countCases("unusedTempSpaces"),
		[]itemCase{
			{"inconsistent totals are accepted (flagged by the platform)", []edit{set("usedStalls", "9999"), set("unusedStalls", "9999")}, accepted, ""},
			{"only the required fields are accepted", []edit{del("unusedMonthCardSpaces"), del("unusedFixedSpaces"), del("unusedTempSpaces")}, accepted, ""},
		},
	),
	"Reservation": concat(
		uuidCases("parkCode"),
		maxCases("bookCode", 32),
		maxCases("plateNo", 20),
		dateTimeCases("bookTime"),
		dateTimeCases("overTime"),
		countCases("obligatTime"),
		dictCases("bookType", []int{0, 1}, []int{2, -1}),
		dictCases("spaceType", []int{0, 1, 2}, []int{3, -1}),
		dictCases("operateType", []int{1, 2}, []int{0, 3}),
		carCases(),
		[]itemCase{
			{"bookCode empty is missing", []edit{set("bookCode", `""`)}, missing, "bookCode"},
		},
	),
	"CancelReservation": concat(
		uuidCases("parkCode"),
		maxCases("bookCode", 32),
		[]itemCase{
			{"bookCode empty is missing", []edit{set("bookCode", `""`)}, missing, "bookCode"},
		},
	),
	"ParkCarInfo": concat(
		uuidCases("parkCode"),
		[]itemCase{
			{"plateNoList empty (an empty park) is accepted", []edit{set("plateNoList", `""`)}, accepted, ""},
			{"plateNoList with full-width commas and spaces is accepted", []edit{set("plateNoList", `"粤bpqr123， 粤BLMN456 ,粤BZXW789"`)}, accepted, ""},
			{"plateNoList with a plate of 20 characters is accepted", []edit{set("plateNoList", str("粤B1,"+runes("粤", 20)))}, accepted, ""},
			{"plateNoList with a plate of 21 characters is too long", []edit{set("plateNoList", str("粤B1,"+runes("粤", 21)))}, tooLong, "plateNoList[1]"},
			{"plateNoList as a JSON array is the wrong type", []edit{set("plateNoList", `["粤BPQR123"]`)}, badType, "plateNoList"},
		},
	),
	"ReplenishRequest": concat(
		uuidCases("parkCode"),
		[]itemCase{
			{"pageSize 1 is accepted", []edit{set("pageSize", "1")}, accepted, ""},
			{"pageSize 50 is accepted", []edit{set("pageSize", "50")}, accepted, ""},
			{"pageSize 0 is out of range", []edit{set("pageSize", "0")}, badRange, "pageSize"},
			{"pageSize 51 is out of range", []edit{set("pageSize", "51")}, badRange, "pageSize"},
			{"pageSize negative is out of range", []edit{set("pageSize", "-10")}, badRange, "pageSize"},
			{"currentPage 0 is out of range", []edit{set("currentPage", "0")}, badRange, "currentPage"},
			{"currentPage negative is out of range", []edit{set("currentPage", "-1")}, badRange, "currentPage"},
			{"currentPage 2147483647 is accepted", []edit{set("currentPage", "2147483647")}, accepted, ""},
			{"currentPage over 4 bytes is out of range", []edit{set("currentPage", "2147483648")}, badRange, "currentPage"},
			{"queryDate with a time is too long", []edit{set("queryDate", `"2023-09-25 00:00:00"`)}, tooLong, "queryDate"},
			{"queryDate with a one-digit month is the wrong type", []edit{set("queryDate", `"2023-9-25"`)}, badType, "queryDate"},
			{"queryDate 2023-02-29 is the wrong type", []edit{set("queryDate", `"2023-02-29"`)}, badType, "queryDate"},
			{"queryDate with slashes is the wrong type", []edit{set("queryDate", `"2023/09/25"`)}, badType, "queryDate"},
			{"queryDate empty is missing", []edit{set("queryDate", `""`)}, missing, "queryDate"},
		},
	),
}

// generatedCases returns, for the golden item doc of m: the item as is
// (accepted), each required field missing and null (4), and each field of
// the item, including those of nested objects, with a value of another
// JSON type (1005).
func generatedCases(t *testing.T, m message, doc []byte) []itemCase {
	cases := []itemCase{{"the golden item is accepted", nil, accepted, ""}}
	for _, f := range m.required {
		cases = append(cases,
			itemCase{f + " missing is missing", []edit{del(f)}, missing, f},
			itemCase{f + " null is missing", []edit{set(f, "null")}, missing, f})
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(doc, &fields); err != nil {
		t.Fatal(err)
	}
	for _, name := range sortedKeys(fields) {
		raw := fields[name]
		cases = append(cases, itemCase{name + " of another JSON type is the wrong type", []edit{set(name, wrongType(raw))}, badType, name})
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil {
			continue
		}
		for i, e := range elems {
			var sub map[string]json.RawMessage
			if json.Unmarshal(e, &sub) != nil {
				continue
			}
			prefix := name + "[" + itoa(i) + "]."
			for _, f := range (PublicInfo{}).RequiredFields() {
				cases = append(cases,
					itemCase{prefix + f + " missing is missing", []edit{del(prefix + f)}, missing, prefix + f},
					itemCase{prefix + f + " null is missing", []edit{set(prefix+f, "null")}, missing, prefix + f})
			}
			for _, sn := range sortedKeys(sub) {
				cases = append(cases, itemCase{prefix + sn + " of another JSON type is the wrong type",
					[]edit{set(prefix+sn, wrongType(sub[sn]))}, badType, prefix + sn})
			}
		}
	}
	return cases
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestDecodeMessages(t *testing.T) {
	for _, m := range messages {
		t.Run(m.name, func(t *testing.T) {
			doc := goldenItem(t, m.file)
			cases := append(generatedCases(t, m, doc), specificCases[m.name]...)
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

// TestDecodeGoldenItemsRoundTrip decodes every golden item and marshals it
// back: the bytes must be the golden item's, so every JSON name (typos
// included) and every optional field survives.
func TestDecodeGoldenItemsRoundTrip(t *testing.T) {
	for _, m := range messages {
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

func TestDecodeRejectsItemsThatAreNotObjects(t *testing.T) {
	for _, raw := range []string{`[]`, `null`, `"x"`, `12`, `{`, ``, `[{"userId":"a"}]`} {
		t.Run(raw, func(t *testing.T) {
			_, err := Decode[LoginRequest]([]byte(raw))
			assertError(t, err, CodeFormat, "")
		})
	}
}

func TestDecodeReportsRequiredFieldsInTheirOrder(t *testing.T) {
	_, err := Decode[EnterRecord]([]byte(`{"plateNo":"粤B12345"}`))
	assertError(t, err, CodeParam, "parkCode")
	_, err = Decode[EnterRecord]([]byte(`{"parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","plateNo":"粤B12345"}`))
	assertError(t, err, CodeParam, "enterTime")
}

func TestDecodeReportsMissingBeforeWrongType(t *testing.T) {
	_, err := Decode[EnterRecord]([]byte(`{"parkCode":1,"id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","plateNo":"粤B12345","enterTime":"2024-01-01 08:30:00","entryCarPhotoId":"x"}`))
	assertError(t, err, CodeParam, "entranceCode")
}

func TestDecodeReportsWrongTypeBeforeLength(t *testing.T) {
	doc := applyEdits(t, goldenItem(t, "enter_record.json"),
		set("plateNo", str(runes("粤", 30))), set("carModel", `"02"`))
	_, err := Decode[EnterRecord](doc)
	assertError(t, err, CodeType, "carModel")
}

// TestDecodeWrongTypeMessageNamesTheJSONType checks that a wrong value is
// described by its JSON type, never echoed: a response message is at most
// 255 characters (table 29).
func TestDecodeWrongTypeMessageNamesTheJSONType(t *testing.T) {
	tests := []struct {
		field, value, want string
	}{
		{"totalSpaces", strings.Repeat("9", 5000), "字段类型错误: totalSpaces wrong JSON type (number)"},
		{"totalSpaces", "1.5", "字段类型错误: totalSpaces wrong JSON type (number)"},
		{"totalSpaces", str(strings.Repeat("x", 5000)), "字段类型错误: totalSpaces wrong JSON type (string)"},
		{"parkName", "true", "字段类型错误: parkName wrong JSON type (bool)"},
		{"parkName", "[1]", "字段类型错误: parkName wrong JSON type (array)"},
		{"publicInfos[0].startTime", "{}", "字段类型错误: publicInfos[0].startTime wrong JSON type (object)"},
	}
	for _, tc := range tests {
		_, err := Decode[ParkInfo](applyEdits(t, goldenItem(t, "park_info.json"), set(tc.field, tc.value)))
		var pe *Error
		if !errors.As(err, &pe) || pe.Message() != tc.want {
			t.Errorf("%s = %.20s: %v, want %q", tc.field, tc.value, err, tc.want)
		}
	}
}

func TestDecodeKeepsDecodedValues(t *testing.T) {
	r, err := Decode[EnterRecord](goldenItem(t, "enter_record.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2024, 1, 1, 0, 30, 0, 0, time.UTC)
	if !r.EnterTime.Time().Equal(want) {
		t.Errorf("EnterTime = %v, want %v", r.EnterTime.Time(), want)
	}
	if r.PlateNo != "粤B12345" || *r.CarModel != CarModelSmall || *r.CarColor != CarBlack || *r.PlateColor != PlateBlue {
		t.Errorf("decoded %+v", r)
	}

	p, err := Decode[ParkInfo](goldenItem(t, "park_info.json"))
	if err != nil {
		t.Fatal(err)
	}
	if p.TotalCharingSpaces == nil || *p.TotalCharingSpaces != 40 || p.ParkingSpaceImageID != "8f7e6d5c4b3a29181706f5e4d3c2b1a0" ||
		len(p.PublicInfos) != 2 || p.PublicInfos[1].Type != BusinessSpecial || p.CommitteeInfo == nil || *p.CommitteeInfo != No {
		t.Errorf("decoded %+v", p)
	}
	if got := p.PublicInfos[1].EndTime.SinceMidnight(); got != 22*time.Hour {
		t.Errorf("publicInfos[1].endTime = %v, want 22h", got)
	}
	if got := p.PublicInfos[1].StartDateTime.Time(); !got.Equal(time.Date(2024, 2, 10, 0, 0, 0, 0, CST)) {
		t.Errorf("publicInfos[1].startDateTime = %v", got)
	}

	res, err := Decode[Reservation](goldenItem(t, "reservation.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.ObligatTime != 30 || res.SpaceType != SpaceCharging || *res.CarModel != CarModelSmallNEV {
		t.Errorf("decoded %+v", res)
	}
}

// TestJSONNamesKeepTheStandardsTypos checks the names docs/protocol.md §3 says must
// not be "fixed" on the wire.
func TestJSONNamesKeepTheStandardsTypos(t *testing.T) {
	n := 1
	tests := []struct {
		value any
		names []string
	}{
		{ParkInfo{TotalCharingSpaces: &n, ParkingSpaceImageID: "x"}, []string{"totalCharingSpaces", "totalReservableCharingSpaces", "parkingSpaceImageId"}},
		{ParkSpaceInfo{}, []string{"usedCharingStalls", "unusedCharingStalls"}},
		{Reservation{}, []string{"obligatTime"}},
		{LoginResponse{}, []string{"accessToken"}},
		{ParkInfoResponse{}, []string{"isvParkId"}},
		{ReplenishResponse{}, []string{"plateNoList"}},
		{ParkCarInfo{}, []string{"plateNoList"}},
	}
	for _, tc := range tests {
		b, err := json.Marshal(tc.value)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range tc.names {
			if !bytes.Contains(b, []byte(`"`+name+`":`)) {
				t.Errorf("%T marshals without %q: %s", tc.value, name, b)
			}
		}
	}
}
