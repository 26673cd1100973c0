package conformance

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/textproto"
	"sort"
	"strings"
)

// Picture sizes the checks send (table 15, docs/protocol.md §6: KB is 1,024
// bytes; over 512,000 bytes is 1007).
const (
	pictureOKBytes  = 150 * 1024
	pictureMaxBytes = 512000
)

// jpegOfSize returns a valid JPEG of exactly n bytes: a small image with
// random pixels, padded with comment (COM) segments after the SOI marker,
// so that any decoder reads it and every run's bytes differ.
func jpegOfSize(n int) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	noise := make([]byte, 64*48*3)
	_, _ = rand.Read(noise)
	for i := 0; i < 64*48; i++ {
		img.Set(i%64, i/64, color.RGBA{noise[3*i], noise[3*i+1], noise[3*i+2], 0xff})
	}
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	base := enc.Bytes()
	pad := n - len(base)
	if pad != 0 && pad < 4 {
		return nil, fmt.Errorf("a %d-byte JPEG cannot be made (the image alone is %d)", n, len(base))
	}
	out := make([]byte, 0, n)
	out = append(out, base[:2]...) // SOI
	for pad > 0 {
		seg := min(pad, 4+65533) // marker, length, at most 65533 bytes of comment
		if rest := pad - seg; rest > 0 && rest < 4 {
			seg -= 4
		}
		body := seg - 4
		out = append(out, 0xFF, 0xFE, byte((body+2)>>8), byte(body+2))
		for i := 0; i < body; i++ {
			out = append(out, "parkcheck "[i%10])
		}
		pad -= seg
	}
	out = append(out, base[2:]...)
	return out, nil
}

// pictureForm is a table 15 request: the text fields and the file.
type pictureForm struct {
	fields map[string]string
	file   []byte
}

// multipart writes the form as multipart/form-data and returns the body,
// its content type and the summary a report shows instead of the bytes.
func (f pictureForm) multipart() (body []byte, contentType, summary string, err error) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	names := make([]string, 0, len(f.fields))
	for k := range f.fields {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names)+1)
	for _, k := range names {
		if err := w.WriteField(k, f.fields[k]); err != nil {
			return nil, "", "", err
		}
		parts = append(parts, k+"="+f.fields[k])
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+f.fields["fileName"]+`"`)
	h.Set("Content-Type", "application/octet-stream")
	pw, err := w.CreatePart(h)
	if err != nil {
		return nil, "", "", err
	}
	if _, err := pw.Write(f.file); err != nil {
		return nil, "", "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", "", err
	}
	parts = append(parts, fmt.Sprintf("file=<%d bytes, %s>", len(f.file), kindOf(f.file)))
	return b.Bytes(), w.FormDataContentType(), "multipart/form-data: " + strings.Join(parts, ", "), nil
}

func kindOf(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "JPEG"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "PNG"
	}
	return "not an image"
}
