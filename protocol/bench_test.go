package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"
)

// benchData returns a `data` value of about n bytes: enterRecord items.
func benchData(b *testing.B, n int) []byte {
	b.Helper()
	item := goldenItem(b, "enter_record.json")
	var buf bytes.Buffer
	buf.WriteByte('[')
	for buf.Len()+len(item)+1 < n {
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		buf.Write(item)
	}
	for buf.Len() < n-1 {
		buf.WriteByte(' ')
	}
	buf.WriteByte(']')
	if !json.Valid(buf.Bytes()) {
		b.Fatal("bench data is not JSON")
	}
	return buf.Bytes()
}

func BenchmarkSign(b *testing.B) {
	data := benchData(b, 1024)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Sign(data)
	}
}

func BenchmarkSignKeyed(b *testing.B) {
	data := benchData(b, 1024)
	key := []byte(downlinkKey)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		SignKeyed(key, data)
	}
}

func BenchmarkVerify(b *testing.B) {
	data := benchData(b, 1024)
	sign := Sign(data)
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		b.Fatal(err)
	}
	d := SM3(data)
	cases := []struct {
		name string
		data []byte
		sign string
	}{
		{"hex", data, sign},
		{"base64", data, base64.StdEncoding.EncodeToString(d[:])},
		// The sign of the compact form: the digest is computed twice.
		{"pretty", data, Sign(compact.Bytes())},
		{"mismatch", data, Sign([]byte("other"))},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.data)))
			for b.Loop() {
				Verify(tc.data, tc.sign)
			}
		})
	}
}

func BenchmarkDecodeEnterRecord(b *testing.B) {
	item := goldenItem(b, "enter_record.json")
	b.SetBytes(int64(len(item)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode[EnterRecord](item); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRequestEnterRecords(b *testing.B) {
	item := string(goldenItem(b, "enter_record.json"))
	body := envelope(itemsOf(100, item), "", "")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req, items, err := ParseRequest(body, DefaultMaxItems)
		if err != nil || !Verify(req.Data, req.Sign) {
			b.Fatal(err)
		}
		if _, err := DecodeItems[EnterRecord](items); err != nil {
			b.Fatal(err)
		}
	}
}
