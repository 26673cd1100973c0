package api

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	reqinfo "github.com/parkd/parkd/internal/request"
	"github.com/parkd/parkd/protocol"
)

// servePicture handles the multipart `picture` interface (table 15,
// docs/protocol.md §6). The body may be up to 2 MiB so that an oversized picture
// gets 1007 rather than 2. The sign is SM3 of the file's bytes.
func (s *Server) servePicture(w http.ResponseWriter, r *http.Request) {
	fields, file, err := readMultipart(w, r)
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

// readMultipart reads the text fields and the file part of a picture
// request, bounded by protocol.MaxPictureBody.
func readMultipart(w http.ResponseWriter, r *http.Request) (map[string]string, []byte, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, nil, protocol.Errorf(protocol.CodeFormat, "picture takes multipart/form-data")
	}
	body := http.MaxBytesReader(w, r.Body, protocol.MaxPictureBody)
	mr := multipart.NewReader(body, params["boundary"])
	fields := map[string]string{}
	var file []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return fields, file, nil
		}
		if err != nil {
			return nil, nil, multipartError(err)
		}
		hint := int64(0)
		if part.FormName() == protocol.FormFile {
			hint = r.ContentLength // the file is most of the body
		}
		b, err := readAll(part, hint)
		if err != nil {
			return nil, nil, multipartError(err)
		}
		if part.FormName() == protocol.FormFile {
			file = b
		} else if part.FormName() != "" {
			fields[part.FormName()] = string(b)
		}
	}
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
