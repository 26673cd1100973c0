// Package client is the parking-system side of Shenzhen's smart-parking
// data-access standard, read as the project's docs/protocol.md fixes it: a
// client for a platform's uplink interfaces (table 30), a durable outbox
// for the records, the scheduled reports, and a receiver for the downlink
// interfaces.
//
// # Client
//
// [New] returns a [Client] for one account of one platform. It logs in on
// first use (sending the password as Base64(SM3(plaintext))), signs every
// request with SM3, logs in again and repeats the call once when the
// platform refuses the token (code 5), and offers a typed call for every
// interface: [Client.ParkInfo], [Client.EntranceExitInfo],
// [Client.EnterRecord], [Client.ExitRecord], [Client.Picture] (multipart),
// [Client.ParkSpaceInfo], [Client.ParkCarInfo], [Client.ReplenishCarInfo]
// and [Client.ReplenishAll], which walks every page of a replenish list.
// [Client.Run] sends a heartbeat every 30 s, which keeps the token alive
// and teaches the client the platform's clock ([Client.ClockOffset]): once
// a heartbeat has been answered, requests are stamped with the platform's
// time, so a parking system whose clock is wrong stays inside the
// platform's timestamp window (10 min by default). TLS options, such as a
// private CA, go in Config.HTTPClient.
//
// # Errors
//
// A refusal by the platform is an [*Error] carrying the appendix-A code
// and the platform's message, which names the field (for example
// "车场不存在: data[0].parkCode ..."). [CodeOf] reads the code of any
// error, 3 for a failure to reach the platform; [IsRejection] tells data
// the platform refused, which no retry can fix, from everything else.
//
// # Outbox
//
// An [Outbox] delivers records exactly as handed over, in the order that
// matters per park:
// each is written to a journal in its directory (fsynced, with concurrent
// writers sharing one fsync) before the call that queued it returns, and
// leaves the journal only when the platform acknowledges it. Outages are
// retried with jittered back-off and a crash loses nothing: the next
// [OpenOutbox] on the directory replays the journal, and re-delivery is
// harmless because the platform treats record ids idempotently. Items the
// platform refuses for their content are set aside, with the code and
// message, in rejected.jsonl ([Outbox.Rejected], [Outbox.RetryRejected])
// without holding up the items queued after them. A backlog is sent in
// requests of one interface each, up to MaxBatch items, gathered across
// the kinds interleaved in the queue: pictures first, then the oldest
// item's interface; items of one interface keep their order (the latest
// vacancy wins), a record never goes before the picture it cites or an
// exit before its entry, and nothing crosses a park or gate report. A
// platform over its limits answers HTTP 429 with Retry-After
// ([RetryAfterOf]); the outbox then waits that long before sending the
// park's items again. [Outbox.Stats] gives the queue's depth, the age of
// its oldest item, and requests, retries and throttled answers for
// monitoring.
//
// # Duties and the downlink
//
// [Duties] sends each park's plate list at the top of every hour and, at
// midnight CST, fetches the previous day's replenish list and hands its
// plates to the parking system to re-send their records. A [Receiver] is
// the http.Handler of the downlink interfaces (reservation and
// cancelReservation): it checks the downlink token, the envelope, the sign
// and every item, and answers with what the [ReservationHandler] returns.
package client
