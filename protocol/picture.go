package protocol

import (
	"bytes"
	"strconv"
)

// Picture size bounds (table 15, docs/protocol.md §6): KB is 1,024 bytes.
const (
	MinPictureBytes = 100 * 1024 // under it: stored with a warning (or 1007 when strict)
	MaxPictureBytes = 500 * 1024 // over it: 1007
	// MaxPictureBody bounds the whole multipart body, so an oversized
	// picture is 1007, not 2.
	MaxPictureBody = 2 << 20
)

// PictureForm is table 15, the text fields of the multipart `picture`
// request; the file travels in the part named "file". Its Sign is SM3 of
// the file's bytes (docs/protocol.md §6).
type PictureForm struct {
	Timestamp    int64        // ms, as in the envelope
	Sign         string       // SM3 of the file's bytes
	Version      string       // at most 10
	ParkCode     string       // Uuid
	ID           string       // 32, the business id records cite
	FileName     string       // 100
	ImageBizType ImageBizType // 1-5
	PickTime     int64        // ms, when it was taken
}

// Picture form field names.
const (
	FormTimestamp    = "timestamp"
	FormSign         = "sign"
	FormVersion      = "version"
	FormParkCode     = "parkCode"
	FormID           = "id"
	FormFileName     = "fileName"
	FormImageBizType = "imageBizType"
	FormPickTime     = "pickTime"
	FormFile         = "file"
)

// ParsePictureForm reads the text fields through get (as
// http.Request.FormValue does, "" when absent) and validates them: missing
// 4, a number that does not parse 1005, too long 1004, out of range 1007.
func ParsePictureForm(get func(string) string) (PictureForm, error) {
	var f PictureForm
	var c checker
	for _, name := range []string{FormTimestamp, FormSign, FormVersion, FormParkCode, FormID,
		FormFileName, FormImageBizType, FormPickTime} {
		if get(name) == "" {
			return f, FieldErrorf(CodeParam, name, "is required")
		}
	}
	f.Timestamp = c.formInt(FormTimestamp, get(FormTimestamp))
	f.Sign = get(FormSign)
	f.Version = get(FormVersion)
	c.str(FormVersion, f.Version, true, 10)
	f.ParkCode = get(FormParkCode)
	c.uuid(FormParkCode, f.ParkCode, true)
	f.ID = get(FormID)
	c.str(FormID, f.ID, true, 32)
	f.FileName = get(FormFileName)
	c.str(FormFileName, f.FileName, true, 100)
	f.ImageBizType = ImageBizType(c.formInt(FormImageBizType, get(FormImageBizType)))
	if c.err == nil {
		c.dict(FormImageBizType, f.ImageBizType.Valid(), int(f.ImageBizType))
	}
	f.PickTime = c.formInt(FormPickTime, get(FormPickTime))
	return f, c.result()
}

// Fields returns the form's text fields for a client to send.
func (f PictureForm) Fields() map[string]string {
	return map[string]string{
		FormTimestamp:    strconv.FormatInt(f.Timestamp, 10),
		FormSign:         f.Sign,
		FormVersion:      f.Version,
		FormParkCode:     f.ParkCode,
		FormID:           f.ID,
		FormFileName:     f.FileName,
		FormImageBizType: strconv.Itoa(int(f.ImageBizType)),
		FormPickTime:     strconv.FormatInt(f.PickTime, 10),
	}
}

func (c *checker) formInt(path, s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		c.fail(CodeType, path, "(not an integer)")
	}
	return n
}

// ImageKind returns "jpeg" or "png" when b starts with that format's
// signature, or "" otherwise (docs/protocol.md §6: checked by content).
func ImageKind(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	}
	return ""
}

// PictureResponse is table 16.
type PictureResponse struct {
	ID string `json:"id"`
}
