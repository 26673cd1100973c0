// Package load drives a platform with an open-loop stream of uplink
// requests and measures how it answers. It is the logic of
// `parkcheck load`.
//
// # Open loop
//
// Requests are scheduled at a fixed arrival rate, whatever the platform's
// speed: by default the gaps are exponential (a Poisson process of the
// asked rate, drawn from a seeded generator, so --seed repeats a run's
// schedule); with Arrivals "uniform" they are evenly spaced. Each request's
// latency runs from its scheduled send time to the last byte of the answer,
// so time spent queueing on the client (a late scheduler, a busy
// connection) counts, and coordinated omission cannot hide the platform's
// queue. The requests in flight are capped (MaxInFlight, default 2,000):
// an arrival that finds the cap reached is not sent and is counted as
// dropped, per interface, in the report; so are none of its side effects
// (a dropped entry is never exited). The client's own delay between the
// scheduled time and the moment the request is handed to the HTTP client
// is reported too (ClientLag), to tell a slow platform from a saturated
// load generator.
//
// # Setup (not measured)
//
// A run first logs in once per target (on LoginURL when set, otherwise on
// the target itself: a token is honoured by every instance sharing the
// database), sends one heartbeat per token to learn the platform clock
// (timestamps of later requests follow it), registers Lots new parks with
// random 32-hex park codes (parkInfo batches of 100) and two gates for each
// (entranceExitInfo batches of 100: GATE01 in, GATE02 out), and, when the
// mix sends exits, reports "vehicles already inside" with enterRecord
// batches of 100: enough for every exit of the run with 25% to spare, with
// enterTime 10 minutes to 3 hours before the run. A heartbeat per token
// every 20 s keeps the tokens alive during setup and the run (these are
// counted apart as keepalives, not in the measured figures). Setup
// requests go round-robin over the targets. A failed setup step ends the
// run with an error that says which step, where, and what came back.
//
// # The realistic mix
//
// Mix "realistic" follows the real cadence of a lot. Per lot and per hour
// of real time:
//
//   - heartBeats: 120, one every 30 s (clause 6.2 b). N lots alone are
//     N/30 heartbeats/s, whatever the rate; all lots of the account share
//     the run's token(s), so each heartbeat does a platform's full work
//     (authenticate, refresh the token, mark the account online).
//   - V vehicle visits (VisitsPerHour, default 20: a 200-space lot turning
//     over each space about 2.4 times a day on average), each one
//     enterRecord, exitRecord (same id, plate and park; leaveTime at or
//     after enterTime), and a parkSpaceInfo after each of the two: 4V
//     requests.
//   - picture: a share P (PictureShare, default 0.1 from the command) of the
//     records has its photo uploaded, a JPEG of PhotoBytes generated
//     locally (default 300 KiB), unique bytes per upload, sign = SM3 of the
//     file, multipart/form-data (docs/protocol.md §6): 2PV requests.
//   - parkCarInfo: 1, the plates of the lot's open visits (clause 6.6.1).
//
// With defaults that is 120 + 85 requests per lot-hour: 20,000 lots are
// 666.7 heartbeats/s and 472.2 other requests/s (111.1 entries, 111.1
// exits, 222.2 vacancy reports, 22.2 pictures, 5.6 plate lists), 1,138.9/s
// in all.
//
// Rate is the total request rate. Heartbeats keep their real rate H =
// N/30; the rest, R - H, is shared among the other five interfaces in the
// proportions above, which is the real cadence sped up (or slowed down)
// by the factor (R - H) / (N(4V + 2PV + 1)/3600), reported as Scale. A
// rate of 0 means the real cadence (Scale 1). When the heartbeats alone
// exceed the rate, the report says so and the run sends heartbeats only,
// at H.
//
// Every arrival draws its interface independently with probability
// rate/total, so each interface is itself a Poisson stream of its rate.
// What it sends follows the lots' state: an entry goes to a random lot
// with a new id and plate; an exit takes the oldest open visit (the
// pre-filled ones first); a parkSpaceInfo reports the lot of the oldest
// entry or exit not yet followed by one (a random lot if none), with its
// used and free spaces; a picture uploads the photo of the oldest record
// chosen for one (each record is, with probability P; a new photo id for
// a random lot if none is waiting); parkCarInfo walks the lots in turn.
//
// # Single-interface mixes
//
// A mix named after an interface sends only that interface, one item per
// request, at Rate: enterRecord (new ids: every request stores a record),
// exitRecord (exits of pre-filled entries), parkSpaceInfo, parkCarInfo,
// picture, heartBeats, parkInfo and entranceExitInfo (re-reports of the
// run's parks and gates), replenishCarInfo (today's first page) and login
// (a new token each time).
//
// # Report
//
// Requests scheduled during Warmup are sent but counted apart; the
// measured figures cover the Duration after it. For all requests and per
// interface: sent, answered (any HTTP answer), dropped, achieved rate
// (sent per second of Duration), latency percentiles by the nearest-rank
// method over answered requests (p50, p90, p99, p99.9, max), every
// non-zero code with its count and an example message, transport errors
// by kind, non-200 statuses, and bytes of request bodies sent (MB/s, MB =
// 10^6 bytes). The run ends when the last request in flight is answered
// or times out.
package load
