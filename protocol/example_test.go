package protocol_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/parkd/parkd/protocol"
)

// A parking system reports a vehicle's entry: it builds the enterRecord
// item, and NewRequest marshals the items as `data` and signs those bytes
// with SM3. These are the worked example's bytes and sign (docs/protocol.md §10).
func ExampleNewRequest() {
	enter, err := protocol.ParseDateTime("2024-01-01 08:30:00")
	if err != nil {
		panic(err)
	}
	rec := protocol.EnterRecord{
		ParkCode:        "a1b2c3d4e5f60718293a4b5c6d7e8f90",
		ID:              "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		PlateNo:         "粤B12345",
		EnterTime:       enter,
		EntryCarPhotoID: "11112222333344445555666677778888",
		EntranceCode:    "GATE01",
	}
	now := time.Date(2024, 1, 1, 8, 30, 1, 0, protocol.CST)
	req, err := protocol.NewRequest(now, []protocol.EnterRecord{rec})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(req.Data))
	fmt.Println(req.Sign)
	fmt.Println(protocol.Verify(req.Data, req.Sign))
	// Output:
	// [{"parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","plateNo":"粤B12345","enterTime":"2024-01-01 08:30:00","entryCarPhotoId":"11112222333344445555666677778888","entranceCode":"GATE01"}]
	// 5b65407061adcfcfc06d82b210e252089401101a4e5cfd69f3573d2f66676bdd
	// true
}

// The password of table 2 is Base64 of the SM3 digest of the plaintext.
func ExamplePasswordDigest() {
	fmt.Println(protocol.PasswordDigest("Parking@2024"))
	// Output:
	// saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0=
}

// Decode reads and validates one item; the error carries the appendix-A
// code and the field path, and its Message is what goes on the wire.
func ExampleDecode() {
	item := []byte(`{
		"parkCode": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
		"id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		"plateNo": "粤B12345粤B12345粤B12345",
		"enterTime": "2024-01-01 08:30:00",
		"entryCarPhotoId": "11112222333344445555666677778888",
		"entranceCode": "GATE01"
	}`)
	_, err := protocol.Decode[protocol.EnterRecord](item)
	var pe *protocol.Error
	if errors.As(err, &pe) {
		fmt.Println(int(pe.Code), pe.Path)
		fmt.Println(pe.Message())
	}
	// Output:
	// 1004 plateNo
	// 超出规定长度: plateNo (max 20)
}

// DecodeItems validates a whole batch: the first bad item rejects it, and
// the path names the item.
func ExampleDecodeItems() {
	body := []byte(`{"timestamp":1704069000000,"sign":"…","version":"1.0.0","data":[
		{"parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","queryDate":"2023-09-25","currentPage":1,"pageSize":50},
		{"parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","queryDate":"2023-09-25","currentPage":2,"pageSize":51}]}`)
	_, items, err := protocol.ParseRequest(body, protocol.DefaultMaxItems)
	if err != nil {
		panic(err)
	}
	_, err = protocol.DecodeItems[protocol.ReplenishRequest](items)
	resp := protocol.ErrorResponse(err, time.UnixMilli(1704069000000))
	out, _ := json.Marshal(resp)
	fmt.Println(string(out))
	// Output:
	// {"code":1007,"message":"超出规定值范围: data[1].pageSize (must be 1-50)","timestamp":1704069000000,"data":[]}
}

// Verify accepts the sign in any of the encodings the platform takes, and
// over the data as sent or with insignificant whitespace removed.
func ExampleVerify() {
	data := []byte(`[{"userId":"szpark001","password":"saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0="}]`)
	sign := protocol.Sign(data)
	pretty := []byte("[\n  {\n    \"userId\": \"szpark001\",\n    \"password\": \"saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0=\"\n  }\n]")
	fmt.Println(sign)
	fmt.Println(protocol.Verify(data, sign), protocol.Verify(pretty, sign))
	fmt.Println(protocol.Verify(data, "0"+sign[1:]))
	// Output:
	// ceae4863d7ba2b4869fd1f8f63d6caf746ad31060657b9e824442c20b2e32c39
	// true true
	// false
}

// ParkCarInfo carries the plates inside a park as one string; Plates
// splits and normalises it.
func ExampleParkCarInfo_Plates() {
	p := protocol.ParkCarInfo{PlateNoList: "粤BPQR123, 粤blmn456，粤BZXW789"}
	fmt.Printf("%q\n", p.Plates())
	// Output:
	// ["粤BPQR123" "粤BLMN456" "粤BZXW789"]
}

// Every DateTime on the wire is China Standard Time, whatever the zone of
// the machine.
func ExampleNewDateTime() {
	utc := time.Date(2023, 12, 31, 16, 30, 0, 0, time.UTC)
	fmt.Println(protocol.NewDateTime(utc))
	// Output:
	// 2024-01-01 00:30:00
}
