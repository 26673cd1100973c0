package sim

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"sync"

	"github.com/parkd/parkd/protocol"
)

// Photos is a pool of synthetic camera pictures: JPEGs of a road scene
// with a car and a blue number plate under sensor noise, each between
// 100 and 500 KB (table 15). Encoding is the expensive part, so the pool
// is made once and every upload gets distinct bytes cheaply by a JPEG
// comment segment (COM) carrying the record's id.
type Photos struct {
	pool [][]byte
}

// Size bounds the pool aims for, inside table 15's 100-500 KB with room
// for the comment segment.
const (
	photoMin = protocol.MinPictureBytes + 12*1024
	photoMax = protocol.MaxPictureBytes - 24*1024
)

// NewPhotos encodes n pictures (at least 1) from seed.
func NewPhotos(n int, seed uint64) (*Photos, error) {
	n = max(n, 1)
	p := &Photos{pool: make([][]byte, n)}
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for i := range n {
		amp := 14 + r.IntN(18)
		for try := 0; ; try++ {
			b, err := scene(r, amp)
			if err != nil {
				return nil, err
			}
			if len(b) >= photoMin && len(b) <= photoMax {
				p.pool[i] = b
				break
			}
			if try == 8 {
				return nil, fmt.Errorf("sim: synthetic photo of %d bytes is outside %d-%d", len(b), photoMin, photoMax)
			}
			if len(b) < photoMin {
				amp += 6
			} else {
				amp = max(2, amp-6)
			}
		}
	}
	return p, nil
}

var (
	defaultPhotosOnce sync.Once
	defaultPhotos     *Photos
	defaultPhotosErr  error
)

// DefaultPhotos returns a pool of 6 pictures, made on first use and shared.
func DefaultPhotos() (*Photos, error) {
	defaultPhotosOnce.Do(func() { defaultPhotos, defaultPhotosErr = NewPhotos(6, 20240101) })
	return defaultPhotos, defaultPhotosErr
}

// Len returns the size of the pool.
func (p *Photos) Len() int { return len(p.pool) }

// Photo returns pool picture i (modulo the pool size) with comment
// inserted, so that two uploads with different comments have different
// bytes and hashes. The result is a new slice and a valid JPEG.
func (p *Photos) Photo(i int, comment string) []byte {
	return withComments(p.pool[i%len(p.pool)], comment, 0)
}

// Oversized returns pool picture i padded with comment segments to just
// over table 15's 500 KB limit: a valid JPEG the platform must refuse
// with 1007.
func (p *Photos) Oversized(i int, comment string) []byte {
	b := p.pool[i%len(p.pool)]
	return withComments(b, comment, protocol.MaxPictureBytes+1+2048-len(b))
}

// maxCOM is the most payload one JPEG segment holds (its length field
// counts itself).
const maxCOM = 0xFFFF - 2

// withComments inserts, right after the SOI marker, a COM segment holding
// comment and then COM segments of padding bytes until at least pad more
// bytes were added.
func withComments(src []byte, comment string, pad int) []byte {
	if len(comment) > maxCOM {
		comment = comment[:maxCOM]
	}
	out := make([]byte, 0, len(src)+4+len(comment)+max(pad, 0)+4*(pad/maxCOM+1))
	out = append(out, src[:2]...) // SOI
	out = appendCOM(out, []byte(comment))
	for pad > 0 {
		n := min(pad, maxCOM)
		out = appendCOM(out, bytes.Repeat([]byte{' '}, n))
		pad -= n + 4
	}
	return append(out, src[2:]...)
}

func appendCOM(b, payload []byte) []byte {
	n := len(payload) + 2
	b = append(b, 0xFF, 0xFE, byte(n>>8), byte(n))
	return append(b, payload...)
}

// scene draws a 1280x720 picture: a graded road, a car body, a blue plate
// with white glyph blocks, and sensor noise of amplitude amp (which sets
// the encoded size), and encodes it at quality 80.
func scene(r *rand.Rand, amp int) ([]byte, error) {
	const w, h = 1280, 720
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	carX0, carX1 := 300+r.IntN(120), 860+r.IntN(120)
	carY0, carY1 := 160+r.IntN(60), 600+r.IntN(60)
	carY := uint8(40 + r.IntN(150))
	plateX0, plateY0 := (carX0+carX1)/2-150, carY1-150
	plateX1, plateY1 := plateX0+300, plateY0+95
	for y := range h {
		row := img.Y[y*img.YStride:]
		for x := range w {
			v := 80 + 90*y/h
			switch {
			case x >= plateX0 && x < plateX1 && y >= plateY0 && y < plateY1:
				v = 60
				gx := (x - plateX0 - 18) % 38
				if y > plateY0+18 && y < plateY1-18 && x > plateX0+18 && x < plateX1-18 && gx < 26 {
					v = 235
				}
			case x >= carX0 && x < carX1 && y >= carY0 && y < carY1:
				v = int(carY)
				if y < carY0+(carY1-carY0)/3 && x > carX0+60 && x < carX1-60 {
					v = 30 // windscreen
				}
			}
			v += r.IntN(2*amp+1) - amp
			row[x] = uint8(min(max(v, 0), 255))
		}
	}
	for y := range h / 2 {
		for x := range w / 2 {
			cb, cr := 128, 128
			px, py := 2*x, 2*y
			if px >= plateX0 && px < plateX1 && py >= plateY0 && py < plateY1 {
				cb, cr = 190, 100 // blue plate
			}
			img.Cb[y*img.CStride+x] = uint8(cb + r.IntN(7) - 3)
			img.Cr[y*img.CStride+x] = uint8(cr + r.IntN(7) - 3)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	if buf.Len() < 4 {
		return nil, errors.New("sim: empty JPEG")
	}
	return buf.Bytes(), nil
}
