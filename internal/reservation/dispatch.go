package reservation

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// Dispatch operations: a new order (operateType 1), a changed order
// (operateType 2), and a cancellation.
const (
	opReserve = "reservation"
	opChange  = "change"
	opCancel  = "cancelReservation"
)

// queue adds a dispatch of op for r, due now, given up at r's overTime
// (a cancellation gets an hour past now, at least).
func queue(tx platform.Tx, r platform.Reservation, op string, now time.Time) error {
	deadline := r.OverTime
	if op == opCancel {
		deadline = maxTime(r.OverTime, now.Add(time.Hour))
	}
	return tx.PutDispatch(platform.Dispatch{ID: platform.NewID(), BookCode: r.BookCode, Op: op, Revision: r.Revision,
		NextAt: now, Deadline: deadline, CreatedAt: now})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// dropDispatches removes an order's queued dispatches of the given ops.
func dropDispatches(tx platform.Tx, bookCode string, ops ...string) error {
	ds, err := tx.DispatchesFor(bookCode)
	if err != nil {
		return err
	}
	for _, d := range ds {
		for _, op := range ops {
			if d.Op == op {
				if err := tx.DeleteDispatch(d.ID); err != nil && !platform.IsNotFound(err) {
					return err
				}
			}
		}
	}
	return nil
}

// changeQueued reports whether a change of the order is queued: only an
// order the lot has seen is sent as a change, so the lot holds an earlier
// revision. A failed lookup counts as queued (telling the lot too much
// costs a 1104; too little leaves it holding a space).
func changeQueued(tx platform.Tx, bookCode string) bool {
	ds, err := tx.DispatchesFor(bookCode)
	if err != nil {
		return true
	}
	for _, d := range ds {
		if d.Op == opChange {
			return true
		}
	}
	return false
}

// lotMayHold reports whether the lot may hold an open order: it confirmed
// it, the order was dispatched (the call went out, its answer is not in),
// or a pending change is queued for an order it had seen. A pending order
// never sent, and a waitlisted one (the lot refused it with 1501), are not
// held by the lot: cancelling them sends nothing down.
func lotMayHold(tx platform.Tx, r platform.Reservation) bool {
	switch r.State {
	case platform.ReservationConfirmed, platform.ReservationDispatched:
		return true
	case platform.ReservationPending:
		return changeQueued(tx, r.BookCode)
	}
	return false
}

// open reports whether an order can still be changed or cancelled.
func open(s platform.ReservationState) bool {
	switch s {
	case platform.ReservationPending, platform.ReservationDispatched, platform.ReservationWaitlisted, platform.ReservationConfirmed:
		return true
	}
	return false
}

// dispatchLoop claims due dispatches and sends them, up to Workers at a
// time, until ctx ends.
func (s *Service) dispatchLoop(ctx context.Context) {
	sem := make(chan struct{}, s.cfg.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		claimed, err := s.claim(ctx, cap(sem)-len(sem))
		if err != nil && ctx.Err() == nil {
			s.log.Error("claiming dispatches", "err", err)
		}
		for _, d := range claimed {
			sem <- struct{}{}
			wg.Add(1)
			go func(d platform.Dispatch) {
				defer func() { <-sem; wg.Done() }()
				s.deliver(ctx, d)
			}(d)
		}
		if len(claimed) > 0 && len(sem) < cap(sem) {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-time.After(s.cfg.Tick / 4):
		}
	}
}

// claim takes up to n due dispatches: each is moved a lease ahead with
// one more attempt, in one transaction, so no other sender (here or in
// another instance) takes it while it is in flight.
func (s *Service) claim(ctx context.Context, n int) ([]platform.Dispatch, error) {
	if n <= 0 {
		return nil, nil
	}
	now := s.now()
	var out []platform.Dispatch
	err := s.store.Update(ctx, func(tx platform.Tx) error {
		// Claims are serialised so that no dispatch is taken twice.
		if err := tx.Lock("dispatch-claim"); err != nil {
			return err
		}
		due, err := tx.DueDispatches(now, n)
		if err != nil {
			return err
		}
		out = out[:0]
		for _, d := range due {
			d.Attempts++
			d.NextAt = now.Add(s.cfg.Lease)
			if err := tx.PutDispatch(d); err != nil {
				return err
			}
			if err := markDispatched(tx, d, now); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// markDispatched moves the pending order of a claimed reservation or
// change to dispatched, committed before the call goes out: from then on
// the lot may hold it.
func markDispatched(tx platform.Tx, d platform.Dispatch, now time.Time) error {
	if d.Op == opCancel {
		return nil
	}
	r, err := tx.Reservation(d.BookCode)
	if platform.IsNotFound(err) {
		return nil
	}
	if err != nil || r.State != platform.ReservationPending || r.Revision != d.Revision {
		return err
	}
	return transition(tx, &r, platform.ReservationDispatched, now, fmt.Sprintf("sent to the lot (attempt %d)", d.Attempts))
}

// notDelivered reports whether a failed call provably never reached the
// lot: no connection was made (refused, unreachable, no such host, a TLS
// handshake the lot's certificate failed) or there is no callback URL.
// Any other failure (a connection dropped, a timeout) may have come after
// the lot read the order.
func notDelivered(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var noCallback errNoCallback
	return errors.As(err, &op) && op.Op == "dial" || errors.As(err, &dns) || errors.As(err, &cert) ||
		errors.As(err, &noCallback)
}

// errNoCallback is the failure of a dispatch to an account without a
// callback URL.
type errNoCallback string

func (e errNoCallback) Error() string { return "account " + string(e) + " has no callback" }

// DeliverDue claims and sends every due dispatch once, synchronously. Tests
// with a manual clock use it instead of Run.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	total := 0
	for {
		claimed, err := s.claim(ctx, s.cfg.Workers)
		if err != nil || len(claimed) == 0 {
			return total, err
		}
		var wg sync.WaitGroup
		for _, d := range claimed {
			wg.Add(1)
			go func(d platform.Dispatch) {
				defer wg.Done()
				s.deliver(ctx, d)
			}(d)
		}
		wg.Wait()
		total += len(claimed)
	}
}

// outcome is what one downlink call came to.
type outcome struct {
	code    protocol.Code
	message string
	err     error // transport failure: retry
}

// deliver sends one claimed dispatch and applies the answer.
func (s *Service) deliver(ctx context.Context, d platform.Dispatch) {
	var r platform.Reservation
	var acct platform.Account
	err := s.store.View(ctx, func(tx platform.Tx) error {
		var err error
		if r, err = tx.Reservation(d.BookCode); err != nil {
			return err
		}
		acct, err = tx.Account(r.UserID)
		return err
	})
	if err != nil {
		s.log.Error("dispatch: loading the order", "bookCode", d.BookCode, "err", err)
		return
	}
	out := s.send(ctx, d, r, acct)
	if ctx.Err() != nil && out.err != nil {
		return // shutting down: the lease expires and another attempt follows
	}
	if err := s.apply(ctx, d, out); err != nil {
		s.log.Error("dispatch: recording the answer", "bookCode", d.BookCode, "err", err)
	}
}

// send makes the downlink call (docs/protocol.md §8).
func (s *Service) send(ctx context.Context, d platform.Dispatch, r platform.Reservation, acct platform.Account) outcome {
	if acct.CallbackURL == "" {
		return outcome{err: errNoCallback(acct.UserID)}
	}
	code := protocol.ReservationCode
	var items any = []protocol.Reservation{downlinkItem(r, d.Op)}
	if d.Op == opCancel {
		code = protocol.CancelCode
		items = []protocol.CancelReservation{{ParkCode: r.ParkCode, BookCode: r.BookCode}}
	}
	data, _ := json.Marshal(items)
	body, _ := json.Marshal(protocol.Request{Timestamp: protocol.Millis(s.now()), Sign: protocol.Sign(data), Version: protocol.Version, Data: data})
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	defer cancel()
	url := strings.TrimRight(acct.CallbackURL, "/") + code.Path()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return outcome{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", acct.CallbackToken)
	resp, err := s.http.Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return outcome{err: err}
	}
	var env protocol.Response
	if err := json.Unmarshal(raw, &env); err != nil || resp.StatusCode >= 500 {
		return outcome{err: fmt.Errorf("HTTP %d, not a response envelope: %.100s", resp.StatusCode, raw)}
	}
	return outcome{code: env.Code, message: env.Message}
}

// downlinkItem is table 19 for r.
func downlinkItem(r platform.Reservation, op string) protocol.Reservation {
	it := protocol.Reservation{ParkCode: r.ParkCode, BookCode: r.BookCode, PlateNo: r.PlateNo,
		BookTime: protocol.NewDateTime(r.BookTime), OverTime: protocol.NewDateTime(r.OverTime),
		ObligatTime: r.ObligatTime, BookType: protocol.BookType(r.BookType), SpaceType: protocol.SpaceType(r.SpaceType),
		OperateType: protocol.OperateBook}
	if op == opChange {
		it.OperateType = protocol.OperateChange
	}
	it.CarModel = optional[protocol.CarModel](r.CarModel)
	it.CarColor = optional[protocol.CarColor](r.CarColor)
	it.PlateColor = optional[protocol.PlateColor](r.PlateColor)
	return it
}

func optional[T ~int](v int) *T {
	if v == 0 {
		return nil
	}
	t := T(v)
	return &t
}

// apply records the answer of a dispatch: the order's next state, or a
// retry with backoff until the deadline.
func (s *Service) apply(ctx context.Context, d platform.Dispatch, out outcome) error {
	now := s.now()
	return s.store.Update(ctx, func(tx platform.Tx) error {
		cur, err := tx.Dispatch(d.ID)
		if platform.IsNotFound(err) {
			return nil // dropped meanwhile (the order was changed or cancelled)
		}
		if err != nil {
			return err
		}
		if out.err != nil {
			if notDelivered(out.err) {
				if err := s.undispatch(tx, d, out.err, now); err != nil {
					return err
				}
			}
			return s.retry(tx, cur, out.err, now)
		}
		if err := tx.DeleteDispatch(d.ID); err != nil {
			return err
		}
		if d.Op == opCancel {
			if out.code != protocol.CodeOK {
				s.log.Warn("cancelReservation answered", "bookCode", d.BookCode, "code", int(out.code), "message", out.message)
			}
			return nil
		}
		return s.answered(tx, d, out, now)
	})
}

// undispatch moves a dispatched order back to pending when its call never
// reached the lot, so a cancellation sends nothing down.
func (s *Service) undispatch(tx platform.Tx, d platform.Dispatch, cause error, now time.Time) error {
	r, err := tx.Reservation(d.BookCode)
	if platform.IsNotFound(err) {
		return nil
	}
	if err != nil || r.State != platform.ReservationDispatched || r.Revision != d.Revision {
		return err
	}
	return transition(tx, &r, platform.ReservationPending, now, "not delivered: "+cause.Error())
}

// retry schedules the next attempt, or gives up at the deadline.
func (s *Service) retry(tx platform.Tx, d platform.Dispatch, cause error, now time.Time) error {
	d.LastError = cause.Error()
	if !now.Before(d.Deadline) {
		if err := tx.DeleteDispatch(d.ID); err != nil {
			return err
		}
		r, err := tx.Reservation(d.BookCode)
		if err != nil || d.Op == opCancel || r.State != platform.ReservationPending && r.State != platform.ReservationDispatched {
			return err
		}
		return transition(tx, &r, platform.ReservationExpired, now, "lot unreachable until overTime: "+d.LastError)
	}
	wait := s.cfg.RetryMin << min(d.Attempts-1, 16)
	if wait > s.cfg.RetryMax || wait <= 0 {
		wait = s.cfg.RetryMax
	}
	wait = wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
	d.NextAt = now.Add(wait)
	if d.NextAt.After(d.Deadline) {
		d.NextAt = d.Deadline
	}
	s.log.Info("downlink failed, will retry", "bookCode", d.BookCode, "op", d.Op, "attempts", d.Attempts, "err", cause)
	return tx.PutDispatch(d)
}

// answered moves a dispatched order by the lot's answer: 0 and 1201
// confirm, 1501 waitlists, anything else rejects (docs/protocol.md §8).
func (s *Service) answered(tx platform.Tx, d platform.Dispatch, out outcome, now time.Time) error {
	r, err := tx.Reservation(d.BookCode)
	if err != nil {
		return err
	}
	if r.State != platform.ReservationDispatched && r.State != platform.ReservationPending || r.Revision != d.Revision {
		return nil // cancelled or changed meanwhile; a newer dispatch follows
	}
	switch out.code {
	case protocol.CodeOK, protocol.CodeBookExists:
		return transition(tx, &r, platform.ReservationConfirmed, now, fmt.Sprintf("lot answered %d", int(out.code)))
	case protocol.CodeNoReservable:
		seq, err := tx.NextWaitSeq()
		if err != nil {
			return err
		}
		r.WaitSeq = seq
		return transition(tx, &r, platform.ReservationWaitlisted, now, "lot answered 1501: waitlisted")
	}
	return transition(tx, &r, platform.ReservationRejected, now, fmt.Sprintf("lot answered %d: %s", int(out.code), out.message))
}
