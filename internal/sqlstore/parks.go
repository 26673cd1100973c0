package sqlstore

import (
	"github.com/parkd/parkd/internal/platform"
)

// Parks, their entrances and the pictures of an account's parks.

const parkCols = `isv_park_id, user_id, park_code, name, area_code, biz_status, reservable,
	reservable_spaces, total_spaces, longitude, latitude, info, created_at, updated_at`

func scanPark(s Row) (p platform.Park, err error) {
	err = s.Scan(&p.IsvParkID, &p.UserID, &p.ParkCode, &p.Name, &p.AreaCode, &p.BizStatus,
		&p.Reservable, &p.ReservableSpaces, &p.TotalSpaces, &p.Longitude, &p.Latitude,
		asRaw(&p.Info), asTime(&p.CreatedAt), asTime(&p.UpdatedAt))
	return p, err
}

var (
	selectPark   = define("SELECT " + parkCols + " FROM parks WHERE user_id = ? AND park_code = ?")
	selectParkID = define("SELECT " + parkCols + " FROM parks WHERE isv_park_id = ?")
	// The update applies only to the park's own row: zero rows changed
	// tell an IsvParkID that belongs to another (UserID, ParkCode).
	putPark = upsert("parks", parkCols, "isv_park_id",
		"parks.user_id = excluded.user_id AND parks.park_code = excluded.park_code")
	parksOf      = define("SELECT " + parkCols + " FROM parks WHERE user_id = ? ORDER BY park_code")
	onlineCounts = define(`SELECT (SELECT COUNT(*) FROM accounts WHERE online),
	(SELECT COUNT(*) FROM parks p JOIN accounts a ON a.user_id = p.user_id WHERE a.online)`)
)

// Park returns the account's park parkCode.
func (t *Tx) Park(userID, parkCode string) (platform.Park, error) {
	return getOne(t, scanPark, selectPark, userID, parkCode)
}

// ParkByID returns the park isvParkID.
func (t *Tx) ParkByID(isvParkID string) (platform.Park, error) {
	return getOne(t, scanPark, selectParkID, isvParkID)
}

// PutPark inserts p or replaces the park with its (UserID, ParkCode). A
// park keeps its IsvParkID: KindConflict when p's key holds a park with
// another IsvParkID, or p's IsvParkID belongs to another key.
func (t *Tx) PutPark(p platform.Park) error {
	n, err := t.exec(putPark, p.IsvParkID, p.UserID, p.ParkCode, p.Name, p.AreaCode, p.BizStatus,
		p.Reservable, p.ReservableSpaces, p.TotalSpaces, p.Longitude, p.Latitude, rawArg(p.Info),
		ms(p.CreatedAt), ms(p.UpdatedAt))
	if err != nil {
		return t.wrap("put park", err)
	}
	if n == 0 {
		return platform.Errorf(platform.KindConflict, "put park: isvParkId %s belongs to another park", p.IsvParkID)
	}
	return nil
}

// ParksOf returns the account's parks by park code.
func (t *Tx) ParksOf(userID string) ([]platform.Park, error) {
	return getAll(t, scanPark, parksOf, userID)
}

// OnlineCounts returns how many accounts are online and how many parks
// they have.
func (t *Tx) OnlineCounts() (accounts, parks int, err error) {
	c, err := getOne(t, func(s Row) (c [2]int, err error) {
		err = s.Scan(&c[0], &c[1])
		return c, err
	}, onlineCounts)
	return c[0], c[1], err
}

const entranceCols = "id, isv_park_id, code, info, updated_at"

func scanEntrance(s Row) (e platform.Entrance, err error) {
	err = s.Scan(&e.ID, &e.IsvParkID, &e.Code, asRaw(&e.Info), asTime(&e.UpdatedAt))
	return e, err
}

var (
	selectEntrance = define("SELECT " + entranceCols + " FROM entrances WHERE isv_park_id = ? AND code = ?")
	putEntrance    = upsert("entrances", entranceCols, "isv_park_id, code", "")
	entrancesOf    = define("SELECT " + entranceCols + " FROM entrances WHERE isv_park_id = ? ORDER BY code")
)

// Entrance returns the park's entrance code.
func (t *Tx) Entrance(isvParkID, code string) (platform.Entrance, error) {
	return getOne(t, scanEntrance, selectEntrance, isvParkID, code)
}

// PutEntrance inserts e or replaces the entrance with its (IsvParkID, Code).
func (t *Tx) PutEntrance(e platform.Entrance) error {
	_, err := t.exec(putEntrance, e.ID, e.IsvParkID, e.Code, rawArg(e.Info), ms(e.UpdatedAt))
	return t.wrap("put entrance", err)
}

// Entrances returns the park's entrances by code.
func (t *Tx) Entrances(isvParkID string) ([]platform.Entrance, error) {
	return getAll(t, scanEntrance, entrancesOf, isvParkID)
}

const pictureCols = `user_id, park_code, id, hash, size, kind, file_name, image_biz_type,
	pick_time, received_at`

func scanPicture(s Row) (p platform.Picture, err error) {
	err = s.Scan(&p.UserID, &p.ParkCode, &p.ID, &p.Hash, &p.Size, &p.Kind, &p.FileName,
		&p.ImageBizType, asTime(&p.PickTime), asTime(&p.ReceivedAt))
	return p, err
}

var (
	selectPicture = define("SELECT " + pictureCols + " FROM pictures WHERE user_id = ? AND park_code = ? AND id = ?")
	putPicture    = upsert("pictures", pictureCols, "user_id, park_code, id", "")
)

// Picture returns the metadata of a park's picture id.
func (t *Tx) Picture(userID, parkCode, id string) (platform.Picture, error) {
	return getOne(t, scanPicture, selectPicture, userID, parkCode, id)
}

// PutPicture inserts p or replaces the picture with its (UserID, ParkCode, ID).
func (t *Tx) PutPicture(p platform.Picture) error {
	_, err := t.exec(putPicture, p.UserID, p.ParkCode, p.ID, p.Hash, p.Size, p.Kind, p.FileName,
		p.ImageBizType, ms(p.PickTime), ms(p.ReceivedAt))
	return t.wrap("put picture", err)
}
