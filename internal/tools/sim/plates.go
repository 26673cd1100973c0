package sim

import (
	"math/rand/v2"
	"strings"

	"github.com/parkd/parkd/protocol"
)

// plateLetters are the letters used on plates: I and O are not, to avoid
// confusion with 1 and 0.
const plateLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ"

// otherPrefixes are plates from elsewhere seen in Shenzhen: the rest of
// Guangdong first, then the neighbouring and the big provinces.
var otherPrefixes = []string{"粤A", "粤S", "粤E", "粤L", "粤T", "粤M", "湘A", "湘L", "赣B", "桂A", "川A", "鄂A", "闽D", "京N", "沪A", "浙A"}

// vehicle kinds a plate tells.
type plateKind struct {
	plate      string
	carModel   protocol.CarModel
	plateColor protocol.PlateColor
}

// newPlate draws a plate: mostly 粤B with five characters (blue), about
// a fifth 粤B new-energy with six (D or F first, green), and a tenth from
// other cities and provinces.
func newPlate(r *rand.Rand) plateKind {
	var b strings.Builder
	switch u := r.Float64(); {
	case u < 0.70:
		b.WriteString("粤B")
		ordinary(r, &b)
		return plateKind{b.String(), protocol.CarModelSmall, protocol.PlateBlue}
	case u < 0.90:
		b.WriteString("粤B")
		b.WriteByte("DF"[r.IntN(2)])
		if r.IntN(3) == 0 {
			b.WriteByte(plateLetters[r.IntN(len(plateLetters))])
		} else {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		for range 4 {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		return plateKind{b.String(), protocol.CarModelSmallNEV, protocol.PlateGreen}
	default:
		b.WriteString(otherPrefixes[r.IntN(len(otherPrefixes))])
		ordinary(r, &b)
		return plateKind{b.String(), protocol.CarModelSmall, protocol.PlateBlue}
	}
}

// ordinary writes the five characters of an ordinary plate: digits, with
// at most two letters.
func ordinary(r *rand.Rand, b *strings.Builder) {
	letters := 0
	for i := range 5 {
		if letters < 2 && r.IntN(4) == 0 || i == 0 && r.IntN(3) == 0 && letters < 2 {
			b.WriteByte(plateLetters[r.IntN(len(plateLetters))])
			letters++
			continue
		}
		b.WriteByte(byte('0' + r.IntN(10)))
	}
}

// carColor draws a body colour in roughly the proportions of a Chinese
// street: white, black, grey and silver first.
func carColor(r *rand.Rand) protocol.CarColor {
	switch u := r.IntN(100); {
	case u < 38:
		return protocol.CarWhite
	case u < 62:
		return protocol.CarBlack
	case u < 80:
		return protocol.CarGrey
	case u < 87:
		return protocol.CarBlue
	case u < 92:
		return protocol.CarRed
	case u < 94:
		return protocol.CarYellow
	case u < 95:
		return protocol.CarGreen
	default:
		return protocol.CarOther
	}
}
