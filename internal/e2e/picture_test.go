package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

func TestPictureStored(t *testing.T) {
	srv, token, isv := parkFixture(t)
	img := testJPEG(t)
	fields := pictureFields(srv, parkA, photoID, img)
	resp := postPicture(t, srv, token, fields, img)
	wantData(t, resp, `[{"id":"`+photoID+`"}]`)

	p, ok := picture(t, srv, vendorA, parkA, photoID)
	if !ok {
		t.Fatal("picture metadata not stored")
	}
	if p.Hash != blob.Key(img) || p.Size != len(img) || p.Kind != "jpeg" || p.FileName != photoID+".jpg" ||
		p.ImageBizType != int(protocol.ImagePlate) || p.PickTime.UnixMilli() != now(srv)-1000 {
		t.Errorf("stored picture %+v", p)
	}
	if !blobExists(t, srv, img) {
		t.Error("picture bytes not in the blob store")
	}
	if kinds, _ := warnings(t, srv, isv); countKind(kinds, "small-picture") != 0 {
		t.Errorf("warnings %v for a picture of %d bytes", kinds, len(img))
	}
}

// TestPictureBeforePark: table 6 cites the tariff board's imageId, so a
// picture may come before its park is reported.
func TestPictureBeforePark(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	img := testJPEG(t)
	wantOK(t, postPicture(t, srv, token, pictureFields(srv, parkB, photoID, img), img))
	if _, ok := picture(t, srv, vendorA, parkB, photoID); !ok {
		t.Error("picture of a park not yet reported was not stored")
	}
}

func TestPictureSmallPNGStoredWithWarning(t *testing.T) {
	srv, token, isv := parkFixture(t)
	img := tinyPNG(t)
	wantOK(t, postPicture(t, srv, token, pictureFields(srv, parkA, photoID, img), img))
	p, ok := picture(t, srv, vendorA, parkA, photoID)
	if !ok || p.Kind != "png" || p.Size != len(img) {
		t.Fatalf("picture %+v (found %v)", p, ok)
	}
	if !blobExists(t, srv, img) {
		t.Error("picture bytes not in the blob store")
	}
	if kinds, _ := warnings(t, srv, isv); countKind(kinds, "small-picture") != 1 {
		t.Errorf("warnings %v, want one small-picture", kinds)
	}
}

func TestPictureStrictRejectsSmall(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{StrictPictures: true}})
	token := vendor(t, srv, vendorA)
	img := tinyPNG(t)
	wantCode(t, postPicture(t, srv, token, pictureFields(srv, parkA, photoID, img), img), protocol.CodeRange, "file")
	if _, ok := picture(t, srv, vendorA, parkA, photoID); ok {
		t.Error("rejected picture stored")
	}
	big := testJPEG(t)
	wantOK(t, postPicture(t, srv, token, pictureFields(srv, parkA, photoID, big), big))
}

func TestPictureSizeBounds(t *testing.T) {
	base := testJPEG(t)
	padded := func(n int) []byte { // a JPEG by content, n bytes long
		b := make([]byte, n)
		copy(b, base)
		return b
	}
	tests := []struct {
		name string
		file []byte
		code protocol.Code
	}{
		{"exactly 512000 bytes", padded(protocol.MaxPictureBytes), protocol.CodeOK},
		{"512001 bytes", padded(protocol.MaxPictureBytes + 1), protocol.CodeRange},
		{"1.5 MB, over the JSON body limit", padded(1536 * 1024), protocol.CodeRange},
	}
	srv, token, _ := parkFixture(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := recordID(i + 1)
			resp := postPicture(t, srv, token, pictureFields(srv, parkA, id, tc.file), tc.file)
			_, stored := picture(t, srv, vendorA, parkA, id)
			if tc.code == protocol.CodeOK {
				wantOK(t, resp)
				if !stored || !blobExists(t, srv, tc.file) {
					t.Error("picture not stored")
				}
				return
			}
			wantCode(t, resp, tc.code, "file")
			if stored || blobExists(t, srv, tc.file) {
				t.Error("rejected picture stored")
			}
		})
	}
}

func TestPictureNotAnImage(t *testing.T) {
	srv, token, _ := parkFixture(t)
	for _, file := range [][]byte{
		append([]byte("GIF89a"), bytes.Repeat([]byte{7}, 200*1024)...),
		[]byte(strings.Repeat("not a picture ", 10000)),
	} {
		resp := postPicture(t, srv, token, pictureFields(srv, parkA, photoID, file), file)
		wantCode(t, resp, protocol.CodeType, "file")
		if _, ok := picture(t, srv, vendorA, parkA, photoID); ok {
			t.Fatal("a file that is not JPEG or PNG was stored")
		}
		if blobExists(t, srv, file) {
			t.Error("a file that is not JPEG or PNG is in the blob store")
		}
	}
}

func TestPictureFormErrors(t *testing.T) {
	img := testJPEG(t)
	tests := []struct {
		name string
		edit func(f map[string]string)
		file []byte
		code protocol.Code
		part string
	}{
		{"missing parkCode", func(f map[string]string) { delete(f, protocol.FormParkCode) }, img, protocol.CodeParam, "parkCode"},
		{"missing sign", func(f map[string]string) { delete(f, protocol.FormSign) }, img, protocol.CodeParam, "sign"},
		{"missing file", nil, nil, protocol.CodeParam, "file"},
		{"timestamp not a number", func(f map[string]string) { f[protocol.FormTimestamp] = "yesterday" }, img, protocol.CodeType, "timestamp"},
		{"pickTime not a number", func(f map[string]string) { f[protocol.FormPickTime] = "2024-01-01 08:00:00" }, img, protocol.CodeType, "pickTime"},
		{"imageBizType 6", func(f map[string]string) { f[protocol.FormImageBizType] = "6" }, img, protocol.CodeRange, "imageBizType"},
		{"id of 33 characters", func(f map[string]string) { f[protocol.FormID] = strings.Repeat("1", 33) }, img, protocol.CodeTooLong, "id"},
		{"parkCode not a Uuid", func(f map[string]string) { f[protocol.FormParkCode] = strings.Repeat("中", 32) }, img, protocol.CodeType, "parkCode"},
		{"timestamp outside the window", func(f map[string]string) {
			f[protocol.FormTimestamp] = ms(protocol.Millis(testserver.Epoch.Add(-11 * time.Minute)))
		}, img, protocol.CodeParam, "timestamp"},
		{"sign of other bytes", func(f map[string]string) { f[protocol.FormSign] = protocol.Sign([]byte("other")) }, img, protocol.CodeSign, "sign"},
	}
	srv, token, _ := parkFixture(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fields := pictureFields(srv, parkA, photoID, img)
			if tc.edit != nil {
				tc.edit(fields)
			}
			wantCode(t, postPicture(t, srv, token, fields, tc.file), tc.code, tc.part)
			if _, ok := picture(t, srv, vendorA, parkA, photoID); ok {
				t.Fatal("rejected picture stored")
			}
		})
	}
}

// TestPictureSignEncodings: the sign of a picture is read as leniently as
// the envelope's.
func TestPictureSignEncodings(t *testing.T) {
	img := testJPEG(t)
	sum := protocol.SM3(img)
	srv, token, _ := parkFixture(t)
	for i, sign := range []string{
		protocol.Sign(img),
		strings.ToUpper(protocol.Sign(img)),
		base64.StdEncoding.EncodeToString(sum[:]),
	} {
		id := recordID(i + 1)
		fields := pictureFields(srv, parkA, id, img)
		fields[protocol.FormSign] = sign
		wantOK(t, postPicture(t, srv, token, fields, img))
		if _, ok := picture(t, srv, vendorA, parkA, id); !ok {
			t.Errorf("sign %s: picture not stored", sign)
		}
	}
}

func TestPictureNotMultipart(t *testing.T) {
	srv, token, _ := parkFixture(t)
	body := mustJSON(t, map[string]any{"timestamp": now(srv), "sign": "x", "version": "1.0.0", "data": []any{}})
	status, raw := srv.Do(t, http.MethodPost, protocol.PictureCode.Path(), token, "application/json", body, nil)
	if status != http.StatusOK {
		t.Fatalf("HTTP %d", status)
	}
	var resp protocol.Response
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatal(err)
	}
	wantCode(t, resp, protocol.CodeFormat, "multipart")

	// A multipart body cut short is malformed too.
	full, ct := multipartBody(t, pictureFields(srv, parkA, photoID, testJPEG(t)), testJPEG(t))
	status, raw = srv.Do(t, http.MethodPost, protocol.PictureCode.Path(), token, ct, full[:len(full)/2], nil)
	if status != http.StatusOK {
		t.Fatalf("HTTP %d", status)
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatal(err)
	}
	wantCode(t, resp, protocol.CodeFormat)
	if _, ok := picture(t, srv, vendorA, parkA, photoID); ok {
		t.Error("picture of a malformed body stored")
	}
}

func TestPictureResendAndReplace(t *testing.T) {
	srv, token, isv := parkFixture(t)
	img := testJPEG(t)
	wantOK(t, postPicture(t, srv, token, pictureFields(srv, parkA, photoID, img), img))
	first, _ := picture(t, srv, vendorA, parkA, photoID)

	advance(t, srv, token, time.Minute)
	wantData(t, postPicture(t, srv, token, pictureFields(srv, parkA, photoID, img), img), `[{"id":"`+photoID+`"}]`)
	again, _ := picture(t, srv, vendorA, parkA, photoID)
	if !again.ReceivedAt.Equal(first.ReceivedAt) {
		t.Errorf("identical re-send rewrote the picture: received %v, was %v", again.ReceivedAt, first.ReceivedAt)
	}
	if h := history(t, srv, "picture", isv, photoID); len(h) != 0 {
		t.Errorf("identical re-send made history %+v", h)
	}

	other := otherJPEG(t)
	advance(t, srv, token, time.Minute)
	wantData(t, postPicture(t, srv, token, pictureFields(srv, parkA, photoID, other), other), `[{"id":"`+photoID+`"}]`)
	p, _ := picture(t, srv, vendorA, parkA, photoID)
	if p.Hash != blob.Key(other) || p.Size != len(other) {
		t.Errorf("picture after replacement %+v", p)
	}
	if !blobExists(t, srv, other) || !blobExists(t, srv, img) {
		t.Error("blob store lost a version")
	}
	h := history(t, srv, "picture", isv, photoID)
	if len(h) != 1 {
		t.Fatalf("history %+v, want one entry", h)
	}
	var old platform.Picture
	if err := json.Unmarshal(h[0].Old, &old); err != nil || old.Hash != blob.Key(img) {
		t.Errorf("history keeps %s (%v), want the first version", h[0].Old, err)
	}
}
