package protocol

import (
	"encoding/json"
	"testing"
)

// pictureFields returns the golden picture form's text fields with edits:
// a value replaces a field, "" removes it.
func pictureFields(t testing.TB, edits map[string]string) map[string]string {
	t.Helper()
	var f map[string]string
	if err := json.Unmarshal(readTestdata(t, "items/picture_form.json"), &f); err != nil {
		t.Fatal(err)
	}
	for k, v := range edits {
		if v == "" {
			delete(f, k)
		} else {
			f[k] = v
		}
	}
	return f
}

func getter(f map[string]string) func(string) string {
	return func(name string) string { return f[name] }
}

func TestParsePictureForm(t *testing.T) {
	type edits = map[string]string
	tests := []struct {
		name  string
		edits edits
		code  Code
		path  string
	}{
		{"the golden form is accepted", nil, CodeOK, ""},
		{"timestamp missing", edits{FormTimestamp: ""}, CodeParam, FormTimestamp},
		{"sign missing", edits{FormSign: ""}, CodeParam, FormSign},
		{"version missing", edits{FormVersion: ""}, CodeParam, FormVersion},
		{"parkCode missing", edits{FormParkCode: ""}, CodeParam, FormParkCode},
		{"id missing", edits{FormID: ""}, CodeParam, FormID},
		{"fileName missing", edits{FormFileName: ""}, CodeParam, FormFileName},
		{"imageBizType missing", edits{FormImageBizType: ""}, CodeParam, FormImageBizType},
		{"pickTime missing", edits{FormPickTime: ""}, CodeParam, FormPickTime},
		{"timestamp not a number", edits{FormTimestamp: "2024-01-01 08:30:00"}, CodeType, FormTimestamp},
		{"timestamp a fraction", edits{FormTimestamp: "1704069000000.5"}, CodeType, FormTimestamp},
		{"timestamp beyond 8 bytes", edits{FormTimestamp: "99999999999999999999"}, CodeType, FormTimestamp},
		{"pickTime not a number", edits{FormPickTime: "now"}, CodeType, FormPickTime},
		{"imageBizType not a number", edits{FormImageBizType: "车牌照片"}, CodeType, FormImageBizType},
		{"imageBizType 0", edits{FormImageBizType: "0"}, CodeRange, FormImageBizType},
		{"imageBizType 6", edits{FormImageBizType: "6"}, CodeRange, FormImageBizType},
		{"imageBizType 1", edits{FormImageBizType: "1"}, CodeOK, ""},
		{"imageBizType 5", edits{FormImageBizType: "5"}, CodeOK, ""},
		{"version of 10 characters", edits{FormVersion: runes("版", 10)}, CodeOK, ""},
		{"version of 11 characters", edits{FormVersion: "1.0.0-beta1"}, CodeTooLong, FormVersion},
		{"parkCode of 31 characters", edits{FormParkCode: uuid31}, CodeTooLong, FormParkCode},
		{"parkCode with a hyphen", edits{FormParkCode: uuidHyphen}, CodeType, FormParkCode},
		{"id of 32 Chinese characters", edits{FormID: runes("图", 32)}, CodeOK, ""},
		{"id of 33 characters", edits{FormID: runes("图", 33)}, CodeTooLong, FormID},
		{"fileName of 100 Chinese characters", edits{FormFileName: runes("图", 100)}, CodeOK, ""},
		{"fileName of 101 characters", edits{FormFileName: runes("图", 101)}, CodeTooLong, FormFileName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePictureForm(getter(pictureFields(t, tc.edits)))
			assertError(t, err, tc.code, tc.path)
		})
	}
}

func TestParsePictureFormValuesAndFields(t *testing.T) {
	fields := pictureFields(t, nil)
	f, err := ParsePictureForm(getter(fields))
	if err != nil {
		t.Fatal(err)
	}
	want := PictureForm{
		Timestamp:    1704069000000,
		Sign:         "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
		Version:      "1.0.0",
		ParkCode:     "a1b2c3d4e5f60718293a4b5c6d7e8f90",
		ID:           "11112222333344445555666677778888",
		FileName:     "深停科技20240101000001.jpg",
		ImageBizType: ImagePlate,
		PickTime:     1704068999000,
	}
	if f != want {
		t.Errorf("ParsePictureForm = %+v\nwant %+v", f, want)
	}
	got := f.Fields()
	if len(got) != len(fields) {
		t.Errorf("Fields() = %v, want %v", got, fields)
	}
	for k, v := range fields {
		if got[k] != v {
			t.Errorf("Fields()[%s] = %q, want %q", k, got[k], v)
		}
	}
	if !Verify([]byte("abc"), f.Sign) {
		t.Error("the golden form's sign is not SM3 of its file")
	}
}

func TestImageKind(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"JPEG (JFIF)", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), "jpeg"},
		{"JPEG (Exif)", []byte("\xff\xd8\xff\xe1\x00\x16Exif"), "jpeg"},
		{"JPEG signature only", []byte("\xff\xd8\xff"), "jpeg"},
		{"PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "png"},
		{"PNG signature only", []byte("\x89PNG\r\n\x1a\n"), "png"},
		{"truncated JPEG signature", []byte("\xff\xd8"), ""},
		{"truncated PNG signature", []byte("\x89PNG\r\n\x1a"), ""},
		{"PNG mangled by a text transfer", []byte("\x89PNG\n\x1a\n\x00"), ""},
		{"GIF", []byte("GIF89a\x01\x00"), ""},
		{"WebP", []byte("RIFF\x00\x00\x00\x00WEBPVP8 "), ""},
		{"BMP", []byte("BM\x00\x00"), ""},
		{"text named .jpg", []byte("not an image"), ""},
		{"empty", nil, ""},
	}
	for _, tc := range tests {
		if got := ImageKind(tc.b); got != tc.want {
			t.Errorf("%s: ImageKind = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestPictureSizeBounds(t *testing.T) {
	// docs/protocol.md §6: KB is 1,024 bytes; 100 KB to 500 KB; a 2 MiB body.
	if MinPictureBytes != 102400 || MaxPictureBytes != 512000 || MaxPictureBody != 2*1024*1024 {
		t.Errorf("bounds %d, %d, %d", MinPictureBytes, MaxPictureBytes, MaxPictureBody)
	}
}
