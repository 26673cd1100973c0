package sqlite

import (
	"github.com/parkd/parkd/internal/platform"
)

// Parks, their entrances and the pictures of an account's parks.

const parkCols = `isv_park_id, user_id, park_code, name, area_code, biz_status, reservable,
	reservable_spaces, total_spaces, longitude, latitude, info, created_at, updated_at`

func scanPark(s scanner) (p platform.Park, err error) {
	err = s.Scan(&p.IsvParkID, &p.UserID, &p.ParkCode, &p.Name, &p.AreaCode, &p.BizStatus,
		&p.Reservable, &p.ReservableSpaces, &p.TotalSpaces, &p.Longitude, &p.Latitude,
		asRaw(&p.Info), asTime(&p.CreatedAt), asTime(&p.UpdatedAt))
	return p, err
}

// Park returns the account's park parkCode.
func (t *tx) Park(userID, parkCode string) (platform.Park, error) {
	return getOne(t, scanPark, "SELECT "+parkCols+" FROM parks WHERE user_id = ? AND park_code = ?",
		userID, parkCode)
}

// ParkByID returns the park isvParkID.
func (t *tx) ParkByID(isvParkID string) (platform.Park, error) {
	return getOne(t, scanPark, "SELECT "+parkCols+" FROM parks WHERE isv_park_id = ?", isvParkID)
}

// PutPark inserts p or replaces the park with its (UserID, ParkCode). A
// park keeps its IsvParkID: KindConflict when p's key holds a park with
// another IsvParkID, or p's IsvParkID belongs to another key.
func (t *tx) PutPark(p platform.Park) error {
	res, err := t.exec(`INSERT INTO parks (`+parkCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (isv_park_id) DO UPDATE SET name = excluded.name,
			area_code = excluded.area_code, biz_status = excluded.biz_status,
			reservable = excluded.reservable, reservable_spaces = excluded.reservable_spaces,
			total_spaces = excluded.total_spaces, longitude = excluded.longitude,
			latitude = excluded.latitude, info = excluded.info,
			created_at = excluded.created_at, updated_at = excluded.updated_at
		WHERE parks.user_id = excluded.user_id AND parks.park_code = excluded.park_code`,
		p.IsvParkID, p.UserID, p.ParkCode, p.Name, p.AreaCode, p.BizStatus, p.Reservable,
		p.ReservableSpaces, p.TotalSpaces, p.Longitude, p.Latitude, rawArg(p.Info),
		ms(p.CreatedAt), ms(p.UpdatedAt))
	if err != nil {
		return wrap("put park", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return wrap("put park", conflictOr(err, "isvParkId %s belongs to another park", p.IsvParkID))
	}
	return nil
}

// conflictOr returns err, or when it is nil a KindConflict error.
func conflictOr(err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	return platform.Errorf(platform.KindConflict, format, args...)
}

// ParksOf returns the account's parks by park code.
func (t *tx) ParksOf(userID string) ([]platform.Park, error) {
	return getAll(t, scanPark, "SELECT "+parkCols+" FROM parks WHERE user_id = ? ORDER BY park_code",
		userID)
}

// onlineCountsQuery counts the accounts online and their parks.
const onlineCountsQuery = `SELECT (SELECT COUNT(*) FROM accounts WHERE online),
	(SELECT COUNT(*) FROM parks p JOIN accounts a ON a.user_id = p.user_id WHERE a.online)`

// OnlineCounts returns how many accounts are online and how many parks
// they have.
func (t *tx) OnlineCounts() (accounts, parks int, err error) {
	c, err := getOne(t, func(s scanner) (c [2]int, err error) {
		err = s.Scan(&c[0], &c[1])
		return c, err
	}, onlineCountsQuery)
	return c[0], c[1], err
}

const entranceCols = "id, isv_park_id, code, info, updated_at"

func scanEntrance(s scanner) (e platform.Entrance, err error) {
	err = s.Scan(&e.ID, &e.IsvParkID, &e.Code, asRaw(&e.Info), asTime(&e.UpdatedAt))
	return e, err
}

// Entrance returns the park's entrance code.
func (t *tx) Entrance(isvParkID, code string) (platform.Entrance, error) {
	return getOne(t, scanEntrance, "SELECT "+entranceCols+" FROM entrances WHERE isv_park_id = ? AND code = ?",
		isvParkID, code)
}

// PutEntrance inserts e or replaces the entrance with its (IsvParkID, Code).
func (t *tx) PutEntrance(e platform.Entrance) error {
	_, err := t.exec(`INSERT INTO entrances (`+entranceCols+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (isv_park_id, code) DO UPDATE SET id = excluded.id,
			info = excluded.info, updated_at = excluded.updated_at`,
		e.ID, e.IsvParkID, e.Code, rawArg(e.Info), ms(e.UpdatedAt))
	return wrap("put entrance", err)
}

// Entrances returns the park's entrances by code.
func (t *tx) Entrances(isvParkID string) ([]platform.Entrance, error) {
	return getAll(t, scanEntrance, "SELECT "+entranceCols+" FROM entrances WHERE isv_park_id = ? ORDER BY code",
		isvParkID)
}

const pictureCols = `user_id, park_code, id, hash, size, kind, file_name, image_biz_type,
	pick_time, received_at`

func scanPicture(s scanner) (p platform.Picture, err error) {
	err = s.Scan(&p.UserID, &p.ParkCode, &p.ID, &p.Hash, &p.Size, &p.Kind, &p.FileName,
		&p.ImageBizType, asTime(&p.PickTime), asTime(&p.ReceivedAt))
	return p, err
}

// Picture returns the metadata of a park's picture id.
func (t *tx) Picture(userID, parkCode, id string) (platform.Picture, error) {
	return getOne(t, scanPicture, "SELECT "+pictureCols+" FROM pictures WHERE user_id = ? AND park_code = ? AND id = ?",
		userID, parkCode, id)
}

// PutPicture inserts p or replaces the picture with its (UserID, ParkCode, ID).
func (t *tx) PutPicture(p platform.Picture) error {
	_, err := t.exec(`INSERT INTO pictures (`+pictureCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, park_code, id) DO UPDATE SET hash = excluded.hash,
			size = excluded.size, kind = excluded.kind, file_name = excluded.file_name,
			image_biz_type = excluded.image_biz_type, pick_time = excluded.pick_time,
			received_at = excluded.received_at`,
		p.UserID, p.ParkCode, p.ID, p.Hash, p.Size, p.Kind, p.FileName, p.ImageBizType,
		ms(p.PickTime), ms(p.ReceivedAt))
	return wrap("put picture", err)
}
