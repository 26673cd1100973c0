package console

import (
	"regexp"
	"strings"

	"github.com/parkd/parkd/internal/offpeak"
)

// Plates as a role without unmasked plates sees them (docs/console-api.md
// "Roles"): every answer that can carry a plate goes through the mask
// methods below before it is written, and photos are withheld.

// MaskPlate returns plate masked: the first two characters (the province
// and the city letter of a Chinese plate), a middle dot, one * for each
// character of the middle, and the last two characters: 粤B12380 is
// 粤B·***80, 粤BD12345 is 粤B·****45. A plate of fewer than five
// characters is all *.
func MaskPlate(plate string) string {
	r := []rune(plate)
	if len(r) < 5 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:2]) + "·" + strings.Repeat("*", len(r)-4) + string(r[len(r)-2:])
}

var (
	// plateInText finds a Chinese plate in free text: a Han character, a
	// letter, 4 to 6 letters or digits and an optional Han suffix (学,
	// 警, 港, 澳...).
	plateInText = regexp.MustCompile(`\p{Han}[A-Z][A-Z0-9]{4,6}\p{Han}?`)
	// citedPlate finds the plates the platform's own messages cite,
	// whatever their format: "plate X fits ...", "plate X differs ...",
	// "... plate X" at the end, "exit ID (X) has no entry".
	citedPlate = regexp.MustCompile(`(plate )(\S+)( fits| differs|$)|(\()([^()]+)(\) has no entry)`)
)

// maskText masks every plate in a free text: the warnings' details, the
// causes of reservation events, the downlink's errors.
func maskText(s string) string {
	s = citedPlate.ReplaceAllStringFunc(s, func(m string) string {
		g := citedPlate.FindStringSubmatch(m)
		if g[1] != "" {
			return g[1] + MaskPlate(g[2]) + g[3]
		}
		return g[4] + MaskPlate(g[5]) + g[6]
	})
	return plateInText.ReplaceAllStringFunc(s, MaskPlate)
}

func maskAll(plates []string) []string {
	out := make([]string, len(plates))
	for i, p := range plates {
		out[i] = MaskPlate(p)
	}
	return out
}

// mask masks a park page's records, verifications and warnings, and
// withholds its photos.
func (pg *parkPage) mask() {
	for _, rs := range [][]recordView{pg.Entries, pg.Exits} {
		for i := range rs {
			rs[i].PlateNo, rs[i].Photo = MaskPlate(rs[i].PlateNo), ""
		}
	}
	for i := range pg.Verifications {
		v := &pg.Verifications[i]
		v.NoEntry, v.Missing = maskAll(v.NoEntry), maskAll(v.Missing)
	}
	for i := range pg.Warnings {
		pg.Warnings[i].Detail = maskText(pg.Warnings[i].Detail)
	}
}

func maskReservations(rs []reservationView) {
	for i := range rs {
		rs[i].PlateNo = MaskPlate(rs[i].PlateNo)
	}
}

// mask masks an order page's plate and its events' and calls' texts.
func (pg *reservationPage) mask() {
	pg.Reservation.PlateNo = MaskPlate(pg.Reservation.PlateNo)
	for i := range pg.Events {
		pg.Events[i].Cause = maskText(pg.Events[i].Cause)
	}
	for i := range pg.Dispatches {
		pg.Dispatches[i].LastError = maskText(pg.Dispatches[i].LastError)
	}
}

func maskOrders(os []offpeak.OrderView) {
	for i := range os {
		os[i].PlateNo = MaskPlate(os[i].PlateNo)
	}
}
