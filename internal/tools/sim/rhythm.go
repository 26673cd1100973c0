package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/parkd/parkd/protocol"
)

// hourly is the raw arrival intensity of each hour of the day [h, h+1):
// quiet at night, a morning peak at 8-9 as people arrive at work, a
// lunchtime plateau, and an evening peak at 18-19 for shopping, dining and
// residential lots.
var hourly = [24]float64{
	0.16, 0.10, 0.07, 0.05, 0.05, 0.09, 0.30, 0.85, // 0-7
	1.85, 1.70, 1.30, 1.10, 1.05, 1.00, 1.00, 1.05, // 8-15
	1.20, 1.55, 1.90, 1.75, 1.30, 0.90, 0.55, 0.30, // 16-23
}

var hourlyMean, rhythmPeak = func() (float64, float64) {
	var sum, peak float64
	for _, v := range hourly {
		sum += v
		peak = max(peak, v)
	}
	mean := sum / 24
	return mean, peak / mean
}()

// Rhythm returns the relative arrival intensity at hour h of the day (0 ≤ h
// < 24, fractional; other values wrap), normalised so that its mean over a
// day is 1. It is piecewise linear through the middle of each hour, so the
// busiest hours are 8-9 and 18-19 and the quietest 3-4.
func Rhythm(h float64) float64 {
	h = math.Mod(h, 24)
	if h < 0 {
		h += 24
	}
	x := h - 0.5 // position relative to the hour midpoints
	i := int(math.Floor(x))
	f := x - float64(i)
	a, b := hourly[(i+24)%24], hourly[(i+25)%24]
	return (a + (b-a)*f) / hourlyMean
}

// RhythmAt is Rhythm at the CST time of day of t.
func RhythmAt(t time.Time) float64 {
	c := t.In(protocol.CST)
	return Rhythm(float64(c.Hour()) + float64(c.Minute())/60 + float64(c.Second())/3600)
}

// nextArrival returns the time of the next arrival after t of a Poisson
// process whose rate (per second) is base × RhythmAt, drawn by thinning.
// base must be positive.
func nextArrival(r *rand.Rand, t time.Time, base float64) time.Time {
	bound := base * rhythmPeak
	for {
		gap := min(r.ExpFloat64()/bound, 365*24*3600) // no overflow for tiny rates
		t = t.Add(time.Duration(gap * float64(time.Second)))
		if r.Float64()*rhythmPeak <= RhythmAt(t) {
			return t
		}
	}
}

// dwell draws how long a vehicle arriving at t stays: errands of minutes,
// visits of hours, and a working day or a night for the commuters who
// arrive in the morning or the evening.
func dwell(r *rand.Rand, t time.Time) time.Duration {
	h := t.In(protocol.CST).Hour()
	long := 0.15
	switch {
	case h >= 7 && h < 10:
		long = 0.55
	case h >= 19 || h < 5:
		long = 0.35
	}
	var minutes float64
	switch u := r.Float64(); {
	case u < long:
		minutes = 360 + r.Float64()*300 // 6-11 h
	case u < long+(1-long)*0.4:
		minutes = 5 + r.Float64()*40 // 5-45 min
	default:
		minutes = 60 + r.ExpFloat64()*90 // an hour and more
		minutes = min(minutes, 600)
	}
	return time.Duration(minutes * float64(time.Minute)).Round(time.Second)
}
