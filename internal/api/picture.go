package api

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"unicode/utf8"

	reqinfo "github.com/parkd/parkd/internal/request"
	"github.com/parkd/parkd/protocol"
)

// servePicture handles the multipart `picture` interface (table 15,
// docs/protocol.md §6). The body may be up to 2 MiB so that an oversized picture
// gets 1007 rather than 2. The sign is SM3 of the file's bytes. The token
// is checked from the header before any of the body is read, so a caller
// without one costs no more than its headers; the body is then read under
// the bounds of readMultipart.
func (s *Server) servePicture(w http.ResponseWriter, r *http.Request) {
	boundary, err := multipartBoundary(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tok := token(r)
	userID, err := s.Sessions.Authenticate(r.Context(), tok)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	reqinfo.SetUser(r.Context(), userID)
	if err := s.accountAllowed(userID); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.checkRole(r.Context(), userID, protocol.PictureCode); err != nil {
		s.writeError(w, r, err)
		return
	}
	fields, file, err := readMultipart(w, r, boundary)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	form, err := protocol.ParsePictureForm(func(k string) string { return fields[k] })
	if err == nil {
		err = s.checkWindow(form.Timestamp)
	}
	if err == nil && file == nil {
		err = protocol.FieldErrorf(protocol.CodeParam, protocol.FormFile, "is required")
	}
	if err == nil && !protocol.Verify(file, form.Sign) {
		err = protocol.FieldErrorf(protocol.CodeSign, "sign", "(does not match SM3 of the file)")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp, err := s.Uplink.Picture(r.Context(), userID, form, file)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeOK(w, []protocol.PictureResponse{resp})
}

// Bounds of a picture's multipart body beside its total size: the form
// has eight text fields and one file (docs/protocol.md §6), so a body of more
// parts, a second file or a text field longer than any valid value is
// refused as soon as it is seen, before its bytes are kept.
const (
	maxPictureParts = 16
	maxPictureField = 1 << 10
)

// multipartBoundary returns the boundary of a multipart/form-data request,
// or code 2.
func multipartBoundary(r *http.Request) (string, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return "", protocol.Errorf(protocol.CodeFormat, "picture takes multipart/form-data")
	}
	return params["boundary"], nil
}

// readMultipart reads the text fields and the file part of a picture
// request, bounded by protocol.MaxPictureBody in all, maxPictureParts
// parts (code 2), one file part (a second is 4 naming it) and
// maxPictureField bytes per text field (1004 naming it). Parts of other
// names are counted and skipped unread into memory. Only the one file
// part gets a buffer the size of the body.
func readMultipart(w http.ResponseWriter, r *http.Request, boundary string) (map[string]string, []byte, error) {
	body := http.MaxBytesReader(w, r.Body, protocol.MaxPictureBody)
	mr := multipart.NewReader(body, boundary)
	fields := map[string]string{}
	var file []byte
	for parts := 1; ; parts++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			return fields, file, nil
		}
		if err != nil {
			return nil, nil, multipartError(err)
		}
		if parts > maxPictureParts {
			return nil, nil, protocol.Errorf(protocol.CodeFormat, "multipart body of more than %d parts", maxPictureParts)
		}
		name := part.FormName()
		switch {
		case name == protocol.FormFile:
			if file != nil {
				return nil, nil, protocol.FieldErrorf(protocol.CodeParam, protocol.FormFile, "(sent more than once: a picture has one file part)")
			}
			if file, err = readAll(part, r.ContentLength); err != nil {
				return nil, nil, multipartError(err)
			}
		case pictureField(name):
			if _, dup := fields[name]; dup {
				return nil, nil, protocol.FieldErrorf(protocol.CodeParam, name, "(sent more than once)")
			}
			b, err := io.ReadAll(io.LimitReader(part, maxPictureField+1))
			if err != nil {
				return nil, nil, multipartError(err)
			}
			if len(b) > maxPictureField {
				return nil, nil, protocol.FieldErrorf(protocol.CodeTooLong, name, "(over %d bytes)", maxPictureField)
			}
			if !utf8.Valid(b) {
				return nil, nil, protocol.FieldErrorf(protocol.CodeType, name, "(not UTF-8)")
			}
			fields[name] = string(b)
		default:
			if _, err := io.Copy(io.Discard, part); err != nil {
				return nil, nil, multipartError(err)
			}
		}
	}
}

// pictureField reports whether name is one of the form's text fields.
func pictureField(name string) bool {
	switch name {
	case protocol.FormTimestamp, protocol.FormSign, protocol.FormVersion, protocol.FormParkCode, protocol.FormID,
		protocol.FormFileName, protocol.FormImageBizType, protocol.FormPickTime:
		return true
	}
	return false
}

// readAll reads r to its end into one buffer of capacity hint (when it is
// in (0, MaxPictureBody]), so a picture is copied once instead of through
// the doublings of io.ReadAll.
func readAll(r io.Reader, hint int64) ([]byte, error) {
	if hint <= 0 || hint > protocol.MaxPictureBody {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, hint)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow: the hint was short
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

func multipartError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return protocol.Errorf(protocol.CodeFormat, "body over %d bytes", protocol.MaxPictureBody)
	}
	return protocol.Errorf(protocol.CodeFormat, "malformed multipart body: %v", err)
}
