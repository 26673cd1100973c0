package uplink

import (
	"context"
	"fmt"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// Picture stores a table 15 picture (interface picture, docs/protocol.md §6): the
// bytes content-addressed in the blob store, synced before the metadata is
// committed. The same id with the same bytes is a success that stores
// nothing; with other bytes it replaces the picture and keeps the old
// version in history. A picture may arrive before its park is reported
// (table 6 cites the tariff board's imageId), so the park need not exist;
// pictures are kept per account, never visible to another.
func (s *Service) Picture(ctx context.Context, userID string, f protocol.PictureForm, data []byte) (protocol.PictureResponse, error) {
	kind := protocol.ImageKind(data)
	if kind == "" {
		return protocol.PictureResponse{}, protocol.FieldErrorf(protocol.CodeType, protocol.FormFile, "(not a JPEG or PNG image)")
	}
	if len(data) > protocol.MaxPictureBytes {
		return protocol.PictureResponse{}, protocol.FieldErrorf(protocol.CodeRange, protocol.FormFile,
			"(%d bytes; max %d)", len(data), protocol.MaxPictureBytes)
	}
	small := len(data) < protocol.MinPictureBytes
	if small && s.StrictPictures {
		return protocol.PictureResponse{}, protocol.FieldErrorf(protocol.CodeRange, protocol.FormFile,
			"(%d bytes; min %d)", len(data), protocol.MinPictureBytes)
	}
	key, err := s.Blobs.Put(ctx, data)
	if err != nil {
		return protocol.PictureResponse{}, err
	}
	now := s.Now()
	pic := platform.Picture{UserID: userID, ParkCode: f.ParkCode, ID: f.ID, Hash: key, Size: len(data), Kind: kind,
		FileName: f.FileName, ImageBizType: int(f.ImageBizType), PickTime: time.UnixMilli(f.PickTime), ReceivedAt: now}
	err = s.Store.Update(ctx, func(tx platform.Tx) error {
		return putPicture(tx, pic, small)
	})
	return protocol.PictureResponse{ID: f.ID}, err
}

func putPicture(tx platform.Tx, pic platform.Picture, small bool) error {
	old, err := tx.Picture(pic.UserID, pic.ParkCode, pic.ID)
	switch {
	case err == nil && old.Hash == pic.Hash:
		return nil
	case err == nil:
		h := platform.HistoryEntry{Object: "picture", IsvParkID: parkIDOf(tx, pic), Key: pic.ID,
			Old: mustJSON(old), ChangedAt: pic.ReceivedAt}
		if err := tx.AddHistory(h); err != nil {
			return err
		}
	case !platform.IsNotFound(err):
		return err
	}
	if err := tx.PutPicture(pic); err != nil {
		return err
	}
	if !small {
		return nil
	}
	return warn(tx, platform.Warning{IsvParkID: parkIDOf(tx, pic), UserID: pic.UserID, Kind: "small-picture",
		Detail: fmt.Sprintf("picture %s is %d bytes (under %d)", pic.ID, pic.Size, protocol.MinPictureBytes), At: pic.ReceivedAt})
}

// parkIDOf returns the isvParkId of the picture's park, or "" when the
// park is not reported yet.
func parkIDOf(tx platform.Tx, pic platform.Picture) string {
	p, err := tx.Park(pic.UserID, pic.ParkCode)
	if err != nil {
		return ""
	}
	return p.IsvParkID
}
