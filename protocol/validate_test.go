package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestCodeMessageIsAppendixA(t *testing.T) {
	// Tables A.1 and A.2, word for word.
	appendixA := []struct {
		code Code
		want string
	}{
		{0, "成功"},
		{1, "业务异常"},
		{2, "接口通用格式错误"},
		{3, "其他错误"},
		{4, "参数错误"},
		{5, "Token校验失败"},
		{6, "sign参数校验失败"},
		{1000, "编码/命名错误"},
		{1001, "停车场（库）编码错误"},
		{1002, "车位编码错误"},
		{1004, "超出规定长度"},
		{1005, "字段类型错误"},
		{1007, "超出规定值范围"},
		{1100, "对象不存在"},
		{1101, "车场不存在"},
		{1102, "车位不存在"},
		{1103, "车辆不存在"},
		{1104, "预约订单不存在"},
		{1107, "指定页码不存在"},
		{1200, "对象已存在"},
		{1201, "预约编码已存在"},
		{1300, "对象已失效"},
		{1301, "预约已过期"},
		{1400, "对象已删除"},
		{1401, "预约已取消"},
		{1500, "没有空余对象"},
		{1501, "没有可预约车位"},
		{3001, "用户名或密码错误"},
		{3002, "访问令牌错误"},
		{4001, "车辆不在场内"},
		{5004, "预约时间有误"},
		{5005, "黑名单"},
	}
	for _, tc := range appendixA {
		t.Run(fmt.Sprint(int(tc.code)), func(t *testing.T) {
			if got := tc.code.Message(); got != tc.want {
				t.Errorf("Message = %q, want %q", got, tc.want)
			}
			if !tc.code.Known() {
				t.Error("Known = false")
			}
			if got, want := tc.code.String(), fmt.Sprintf("%d %s", int(tc.code), tc.want); got != want {
				t.Errorf("String = %q, want %q", got, want)
			}
		})
	}
	if len(codeMessages) != len(appendixA) {
		t.Errorf("package knows %d codes, appendix A lists %d", len(codeMessages), len(appendixA))
	}
}

func TestCodeMessageOfAnUnlistedCode(t *testing.T) {
	for _, c := range []Code{7, 999, 1003, 1006, 2000, 5000, -1} {
		if got := c.Message(); got != "未知错误" {
			t.Errorf("Code(%d).Message = %q, want 未知错误", int(c), got)
		}
		if c.Known() {
			t.Errorf("Code(%d).Known = true", int(c))
		}
	}
}

func TestCodeIsDataError(t *testing.T) {
	for c, want := range map[Code]bool{CodeOK: false, CodeParam: false, CodeSign: false, CodeTooLong: true,
		CodeType: true, CodeRange: true, CodeNoPark: true, CodeNoReservable: true, CodeLogin: false, CodeBlacklist: false} {
		if got := c.IsDataError(); got != want {
			t.Errorf("Code(%d).IsDataError = %v, want %v", int(c), got, want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"path and detail", FieldErrorf(CodeTooLong, "data[3].plateNo", "(max %d)", 20), "超出规定长度: data[3].plateNo (max 20)"},
		{"path only", &Error{Code: CodeParam, Path: "data[0].parkCode"}, "参数错误: data[0].parkCode"},
		{"detail only", Errorf(CodeFormat, "body is not a JSON object"), "接口通用格式错误: body is not a JSON object"},
		{"neither", &Error{Code: CodeSign}, "sign参数校验失败"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Message(); got != tc.want {
				t.Errorf("Message = %q, want %q", got, tc.want)
			}
			if got, want := tc.err.Error(), fmt.Sprintf("code %d: %s", int(tc.err.Code), tc.want); got != want {
				t.Errorf("Error = %q, want %q", got, want)
			}
		})
	}
}

func TestErrorPrefix(t *testing.T) {
	tests := []struct {
		path, prefix, want string
	}{
		{"plateNo", "data[3]", "data[3].plateNo"},
		{"[1].endTime", "publicInfos", "publicInfos[1].endTime"},
		{"", "data[0]", "data[0]"},
	}
	for _, tc := range tests {
		e := &Error{Code: CodeType, Path: tc.path, Detail: "x"}
		got := e.Prefix(tc.prefix)
		if got.Path != tc.want || got.Code != CodeType || got.Detail != "x" {
			t.Errorf("Prefix(%q) of %q = %+v, want path %q", tc.prefix, tc.path, got, tc.want)
		}
		if e.Path != tc.path {
			t.Errorf("Prefix changed the receiver's path to %q", e.Path)
		}
	}
}

func TestAtItemNamesTheItem(t *testing.T) {
	_, err := Decode[EnterRecord](applyEdits(t, goldenItem(t, "enter_record.json"), set("plateNo", str(runes("粤", 21)))))
	err = AtItem(err, 3)
	assertError(t, err, CodeTooLong, "data[3].plateNo")
	if got, want := err.(*Error).Message(), "超出规定长度: data[3].plateNo (max 20)"; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
	if AtItem(nil, 3) != nil {
		t.Error("AtItem(nil) is not nil")
	}
	if got := ItemPath(12); got != "data[12]" {
		t.Errorf("ItemPath(12) = %q", got)
	}
}

func TestDecodeItems(t *testing.T) {
	good := json.RawMessage(goldenItem(t, "enter_record.json"))
	long := json.RawMessage(applyEdits(t, good, set("plateNo", str("粤B"+runes("1", 19)))))
	nested := json.RawMessage(applyEdits(t, goldenItem(t, "park_info.json"), set("publicInfos[1].endTime", "2200")))
	tests := []struct {
		name    string
		decode  func([]json.RawMessage) error
		items   []json.RawMessage
		code    Code
		path    string
		message string
	}{
		{"every item valid", decodeEnter, []json.RawMessage{good, good}, CodeOK, "", ""},
		{"the fourth item too long", decodeEnter, []json.RawMessage{good, good, good, long, good}, CodeTooLong, "data[3].plateNo",
			"超出规定长度: data[3].plateNo (max 20)"},
		{"the first bad item is reported", decodeEnter, []json.RawMessage{good, json.RawMessage(`{}`), long}, CodeParam, "data[1].parkCode",
			"参数错误: data[1].parkCode is required"},
		{"an item that is not an object", decodeEnter, []json.RawMessage{good, json.RawMessage(`[]`)}, CodeFormat, "data[1]",
			"接口通用格式错误: data[1] item is not a JSON object"},
		{"a nested field of the wrong type", decodePark, []json.RawMessage{goldenItem(t, "park_info.json"), nested}, CodeType,
			"data[1].publicInfos[1].endTime", "字段类型错误: data[1].publicInfos[1].endTime wrong JSON type (number)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.decode(tc.items)
			assertError(t, err, tc.code, tc.path)
			if err != nil {
				if got := err.(*Error).Message(); got != tc.message {
					t.Errorf("Message = %q, want %q", got, tc.message)
				}
			}
		})
	}
}

func decodeEnter(items []json.RawMessage) error {
	out, err := DecodeItems[EnterRecord](items)
	if err == nil && len(out) != len(items) {
		return fmt.Errorf("decoded %d items of %d", len(out), len(items))
	}
	if err != nil && out != nil {
		return fmt.Errorf("items returned with an error")
	}
	return err
}

func decodePark(items []json.RawMessage) error {
	_, err := DecodeItems[ParkInfo](items)
	return err
}

func TestCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, CodeOK},
		{"an *Error", FieldErrorf(CodeRange, "pageSize", ""), CodeRange},
		{"a wrapped *Error", fmt.Errorf("store: %w", Errorf(CodeNoPark, "p")), CodeNoPark},
		{"another error", errors.New("disk full"), CodeInternal},
	}
	for _, tc := range tests {
		if got := CodeOf(tc.err); got != tc.want {
			t.Errorf("%s: CodeOf = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestNormalizePlate(t *testing.T) {
	for in, want := range map[string]string{
		"粤B12345":     "粤B12345",
		" 粤b12345\t":  "粤B12345",
		"粤bd12345":    "粤BD12345",
		"\u3000粤B1学 ": "粤B1学",
		"":            "",
		"ｂ":           "ｂ", // full-width letters are not ASCII
	} {
		if got := NormalizePlate(in); got != want {
			t.Errorf("NormalizePlate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParkCarInfoPlates(t *testing.T) {
	tests := []struct {
		name string
		list string
		want []string
	}{
		{"ASCII commas", "粤BPQR123,粤BLMN456,粤BZXW789", []string{"粤BPQR123", "粤BLMN456", "粤BZXW789"}},
		{"full-width commas", "粤BPQR123，粤BLMN456，粤BZXW789", []string{"粤BPQR123", "粤BLMN456", "粤BZXW789"}},
		{"mixed commas and spaces", " 粤BPQR123 , 粤BLMN456，\u3000粤BZXW789 ", []string{"粤BPQR123", "粤BLMN456", "粤BZXW789"}},
		{"lowercase letters", "粤bpqr123,粤blmn456", []string{"粤BPQR123", "粤BLMN456"}},
		{"empty entries dropped", ",粤BPQR123,,， ,", []string{"粤BPQR123"}},
		{"one plate", "粤BPQR123", []string{"粤BPQR123"}},
		{"empty list", "", []string{}},
		{"only separators", " , ，", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ParkCarInfo{PlateNoList: tc.list}.Plates()
			if got == nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Plates() = %#v, want %#v", got, tc.want)
			}
		})
	}
	if got := JoinPlates([]string{"粤BPQR123", "粤BLMN456"}); got != "粤BPQR123,粤BLMN456" {
		t.Errorf("JoinPlates = %q", got)
	}
	if got := JoinPlates(nil); got != "" {
		t.Errorf("JoinPlates(nil) = %q", got)
	}
}

func TestIsUuid(t *testing.T) {
	for s, want := range map[string]bool{
		"a1b2c3d4e5f60718293a4b5c6d7e8f90":  true,
		"A1B2C3D4E5F60718293A4B5C6D7E8F90":  true,
		"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz":  true,
		"a1b2c3d4e5f60718293a4b5c6d7e8f9":   false,
		"a1b2c3d4e5f60718293a4b5c6d7e8f900": false,
		"a1b2c3d4-5f60718293a4b5c6d7e8f90":  false,
		"a1b2c3d4e5f60718293a4b5c6d7e8f9_":  false,
		"":                                  false,
	} {
		if got := IsUuid(s); got != want {
			t.Errorf("IsUuid(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestRegionsCheck(t *testing.T) {
	for code := range Shenzhen {
		if err := Shenzhen.Check("data[0].areaCode", code); err != nil {
			t.Errorf("Check(%s) = %v", code, err)
		}
	}
	if len(Shenzhen) != 10 || Shenzhen["440303"] != "罗湖区" || Shenzhen["440327"] != "大鹏新区" {
		t.Errorf("Shenzhen is not table F.1: %v", Shenzhen)
	}
	assertError(t, Shenzhen.Check("data[0].areaCode", "110101"), CodeRange, "data[0].areaCode")
	assertError(t, Shenzhen.Check("areaCode", ""), CodeRange, "areaCode")
	custom := Regions{"110101": "东城区"}
	assertError(t, custom.Check("areaCode", "110101"), CodeOK, "")
	assertError(t, custom.Check("areaCode", "440303"), CodeRange, "areaCode")
}

func TestDictionariesValid(t *testing.T) {
	type dict struct {
		name  string
		valid func(int) bool
		good  []int
		bad   []int
	}
	tests := []dict{
		{"ParkType", func(v int) bool { return ParkType(v).Valid() }, []int{0, 1, 2}, []int{-1, 3}},
		{"ServiceType", func(v int) bool { return ServiceType(v).Valid() }, []int{1, 8, 17}, []int{0, 18}},
		{"BizStatus", func(v int) bool { return BizStatus(v).Valid() }, []int{0, 1}, []int{-1, 2}},
		{"Flag", func(v int) bool { return Flag(v).Valid() }, []int{0, 1}, []int{-1, 2}},
		{"StructuralType", func(v int) bool { return StructuralType(v).Valid() }, []int{1, 5}, []int{0, 6}},
		{"BusinessType", func(v int) bool { return BusinessType(v).Valid() }, []int{1, 4}, []int{0, 5}},
		{"EntranceType", func(v int) bool { return EntranceType(v).Valid() }, []int{1, 3}, []int{0, 4}},
		{"EntranceStatus", func(v int) bool { return EntranceStatus(v).Valid() }, []int{1, 3}, []int{0, 4}},
		{"CarModel", func(v int) bool { return CarModel(v).Valid() },
			[]int{1, 2, 3, 10, 20, 23, 27, 31, 32, 41, 42, 43, 51, 52, 99}, []int{0, 28, 29, 30, 33, 40, 44, 50, 53, 98, 100}},
		{"CarColor", func(v int) bool { return CarColor(v).Valid() }, []int{1, 8}, []int{0, 9}},
		{"PlateColor", func(v int) bool { return PlateColor(v).Valid() }, []int{1, 6}, []int{0, 7}},
		{"ImageBizType", func(v int) bool { return ImageBizType(v).Valid() }, []int{1, 5}, []int{0, 6}},
		{"BookType", func(v int) bool { return BookType(v).Valid() }, []int{0, 1}, []int{-1, 2}},
		{"SpaceType", func(v int) bool { return SpaceType(v).Valid() }, []int{0, 2}, []int{-1, 3}},
		{"OperateType", func(v int) bool { return OperateType(v).Valid() }, []int{1, 2}, []int{0, 3}},
	}
	for _, tc := range tests {
		for _, v := range tc.good {
			if !tc.valid(v) {
				t.Errorf("%s(%d) is not valid", tc.name, v)
			}
		}
		for _, v := range tc.bad {
			if tc.valid(v) {
				t.Errorf("%s(%d) is valid", tc.name, v)
			}
		}
	}
}

func TestInterfaces(t *testing.T) {
	tests := []struct {
		code                    Interface
		path                    string
		uplink, token, inWindow bool
	}{
		{Login, "/dataReceive/v1/login", true, false, false},
		{HeartBeats, "/dataReceive/v1/heartBeats", true, true, false},
		{ParkInfoCode, "/dataReceive/v1/parkInfo", true, true, true},
		{EntranceExitCode, "/dataReceive/v1/entranceExitInfo", true, true, true},
		{EnterRecordCode, "/dataReceive/v1/enterRecord", true, true, true},
		{ExitRecordCode, "/dataReceive/v1/exitRecord", true, true, true},
		{PictureCode, "/dataReceive/v1/picture", true, true, true},
		{ParkSpaceInfoCode, "/dataReceive/v1/parkSpaceInfo", true, true, true},
		{ReservationCode, "/dataReceive/v1/reservation", false, true, true},
		{CancelCode, "/dataReceive/v1/cancelReservation", false, true, true},
		{ParkCarInfoCode, "/dataReceive/v1/parkCarInfo", true, true, true},
		{ReplenishCode, "/dataReceive/v1/replenishCarInfo", true, true, true},
		{"Login", "/dataReceive/v1/Login", false, true, true}, // case-sensitive
	}
	for _, tc := range tests {
		if got := tc.code.Path(); got != tc.path {
			t.Errorf("%s.Path() = %q, want %q", tc.code, got, tc.path)
		}
		if got := tc.code.IsUplink(); got != tc.uplink {
			t.Errorf("%s.IsUplink() = %v", tc.code, got)
		}
		if got := tc.code.NeedsToken(); got != tc.token {
			t.Errorf("%s.NeedsToken() = %v", tc.code, got)
		}
		if got := tc.code.InTimestampWindow(); got != tc.inWindow {
			t.Errorf("%s.InTimestampWindow() = %v", tc.code, got)
		}
	}
	if len(Uplink) != 10 || len(Downlink) != 2 {
		t.Errorf("table 30 has 10 uplink and 2 downlink codes; got %d and %d", len(Uplink), len(Downlink))
	}
}

func TestPlateLooksValid(t *testing.T) {
	for plate, want := range map[string]bool{
		"粤B12345":     true,
		"粤BD12345":    true, // new-energy, 8 characters
		"粤B1234学":     true,
		"京A0001警":     true,
		"粤B1234":      false,
		"粤B1234567":   false,
		"粤b12345":     false, // not normalised
		"B12345":      false,
		"WJ粤12345":    false,
		"":            false,
		"粤B12345粤B12": false,
	} {
		if got := PlateLooksValid(plate); got != want {
			t.Errorf("PlateLooksValid(%q) = %v, want %v", plate, got, want)
		}
	}
}

// A NUL character in any text field is a type error (1005) naming the
// field: databases cannot store it.
func TestNULCharacterRefused(t *testing.T) {
	cases := []struct {
		name, body, path string
	}{
		{"plate", `{"parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","plateNo":"粤B1\u00002345","enterTime":"2024-01-01 08:30:00","entryCarPhotoId":"p","entranceCode":"GATE01"}`, "plateNo"},
		{"entrance code", `{"parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","name":"n","entranceExitCode":"GATE\u000001","type":1,"longitude":114,"latitude":22.5,"status":1}`, "entranceExitCode"},
		{"login user", `{"userId":"szpark\u0000001","password":"x"}`, "userId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			switch tc.name {
			case "plate":
				_, err = Decode[EnterRecord]([]byte(tc.body))
			case "entrance code":
				_, err = Decode[EntranceExitInfo]([]byte(tc.body))
			default:
				_, err = Decode[LoginRequest]([]byte(tc.body))
			}
			pe, ok := err.(*Error)
			if !ok || pe.Code != CodeType || pe.Path != tc.path {
				t.Fatalf("got %v, want 1005 at %s", err, tc.path)
			}
		})
	}
}
