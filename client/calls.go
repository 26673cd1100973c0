package client

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/parkd/parkd/protocol"
)

// ParkInfo reports parks (interface parkInfo, table 6) and returns the
// platform's isvParkId of each (table 8).
func (c *Client) ParkInfo(ctx context.Context, items ...protocol.ParkInfo) ([]protocol.ParkInfoResponse, error) {
	var out []protocol.ParkInfoResponse
	return out, c.call(ctx, protocol.ParkInfoCode, items, &out)
}

// EntranceExitInfo reports entrances (interface entranceExitInfo, table 9)
// and returns their platform ids (table 10).
func (c *Client) EntranceExitInfo(ctx context.Context, items ...protocol.EntranceExitInfo) ([]protocol.EntranceExitResponse, error) {
	var out []protocol.EntranceExitResponse
	return out, c.call(ctx, protocol.EntranceExitCode, items, &out)
}

// EnterRecord reports vehicle entries (interface enterRecord, table 11).
func (c *Client) EnterRecord(ctx context.Context, items ...protocol.EnterRecord) ([]protocol.RecordResponse, error) {
	var out []protocol.RecordResponse
	return out, c.call(ctx, protocol.EnterRecordCode, items, &out)
}

// ExitRecord reports vehicle exits (interface exitRecord, table 13).
func (c *Client) ExitRecord(ctx context.Context, items ...protocol.ExitRecord) ([]protocol.RecordResponse, error) {
	var out []protocol.RecordResponse
	return out, c.call(ctx, protocol.ExitRecordCode, items, &out)
}

// ParkSpaceInfo reports live vacancy (interface parkSpaceInfo, table 17).
func (c *Client) ParkSpaceInfo(ctx context.Context, items ...protocol.ParkSpaceInfo) ([]protocol.ParkCodeResponse, error) {
	var out []protocol.ParkCodeResponse
	return out, c.call(ctx, protocol.ParkSpaceInfoCode, items, &out)
}

// ParkCarInfo reports the plates inside parks (interface parkCarInfo,
// table 23), due at the top of every hour.
func (c *Client) ParkCarInfo(ctx context.Context, items ...protocol.ParkCarInfo) ([]protocol.ParkCodeResponse, error) {
	var out []protocol.ParkCodeResponse
	return out, c.call(ctx, protocol.ParkCarInfoCode, items, &out)
}

// ReplenishCarInfo asks for one page of the plates whose records must be
// re-reported (interface replenishCarInfo, tables 25 and 26).
func (c *Client) ReplenishCarInfo(ctx context.Context, req protocol.ReplenishRequest) (protocol.ReplenishResponse, error) {
	var out []protocol.ReplenishResponse
	if err := c.call(ctx, protocol.ReplenishCode, []protocol.ReplenishRequest{req}, &out); err != nil {
		return protocol.ReplenishResponse{}, err
	}
	if len(out) != 1 {
		return protocol.ReplenishResponse{}, &Error{Interface: protocol.ReplenishCode, Code: protocol.CodeInternal, Message: "answer has no item"}
	}
	return out[0], nil
}

// ReplenishAll walks every page of the replenish list of a park for a CST
// date (clause 6.6.2) and returns all its plates.
func (c *Client) ReplenishAll(ctx context.Context, parkCode string, day time.Time) ([]string, error) {
	var plates []string
	for page := 1; ; page++ {
		resp, err := c.ReplenishCarInfo(ctx, protocol.ReplenishRequest{ParkCode: parkCode, QueryDate: protocol.NewDate(day),
			CurrentPage: page, PageSize: protocol.MaxPageSize})
		if CodeOf(err) == protocol.CodeNoPage {
			return plates, nil
		}
		if err != nil {
			return plates, err
		}
		plates = append(plates, resp.PlateNoList...)
		if len(resp.PlateNoList) < protocol.MaxPageSize || len(plates) >= resp.Total && resp.Total > 0 {
			return plates, nil
		}
	}
}

// Photo is a picture to upload (table 15).
type Photo struct {
	ParkCode     string
	ID           string // the business id records cite, e.g. an entryCarPhotoId
	FileName     string // "vendor name + yyyyMMdd + 6 digits"
	ImageBizType protocol.ImageBizType
	PickTime     time.Time
	Data         []byte // JPEG or PNG, 100-500 KB
}

// Picture uploads a picture (interface picture, table 15) as
// multipart/form-data, signed with SM3 of the file (docs/protocol.md §6).
func (c *Client) Picture(ctx context.Context, p Photo) (protocol.PictureResponse, error) {
	send := func(tok string) (protocol.PictureResponse, error) {
		var out []protocol.PictureResponse
		req, err := c.pictureRequest(ctx, tok, p)
		if err != nil {
			return protocol.PictureResponse{}, err
		}
		if err := c.do(req, protocol.PictureCode, &out); err != nil {
			return protocol.PictureResponse{}, err
		}
		if len(out) == 0 {
			return protocol.PictureResponse{ID: p.ID}, nil
		}
		return out[0], nil
	}
	tok, err := c.ensureToken(ctx, "")
	if err != nil {
		return protocol.PictureResponse{}, err
	}
	resp, err := send(tok)
	if CodeOf(err) != protocol.CodeToken {
		return resp, err
	}
	if tok, err = c.ensureToken(ctx, tok); err != nil {
		return resp, err
	}
	return send(tok)
}

func (c *Client) pictureRequest(ctx context.Context, tok string, p Photo) (*http.Request, error) {
	form := protocol.PictureForm{Timestamp: protocol.Millis(c.Now()), Sign: protocol.Sign(p.Data), Version: protocol.Version,
		ParkCode: p.ParkCode, ID: p.ID, FileName: p.FileName, ImageBizType: p.ImageBizType, PickTime: protocol.Millis(p.PickTime)}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range form.Fields() {
		if err := mw.WriteField(k, v); err != nil {
			return nil, err
		}
	}
	fw, err := mw.CreateFormFile(protocol.FormFile, p.FileName)
	if err != nil {
		return nil, err
	}
	if _, err := fw.Write(p.Data); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+protocol.PictureCode.Path(), &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", tok)
	return req, nil
}
