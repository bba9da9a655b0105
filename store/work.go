package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
)

// Floor work: receiving, putaway, counts, replenishment and moves on a
// handheld, with picking's guarantees. Each message carries the client's
// id; it is judged, applied and recorded with its verdict in one
// transaction, and the verdict is answered only after that commit. A
// message id seen before is answered from its record (replayed), with
// the user's prompt as it is now, and changes nothing. Where a user is in
// each kind of work (workState) is stored too, so a handheld that drops
// and comes back, or another handheld of the same user, carries on.

// workState is where a user is in one kind of work.
type workState struct {
	Step      pickwave.Step `json:"step,omitempty"`
	Notice    string        `json:"notice,omitempty"`  // receive: the notice in hand
	Receipt   string        `json:"receipt,omitempty"` // putaway: the receipt in hand
	SKU       string        `json:"sku,omitempty"`
	Lot       string        `json:"lot,omitempty"`
	Qty       int           `json:"qty,omitempty"`
	From      string        `json:"from,omitempty"`
	Tote      string        `json:"tote,omitempty"`   // move: the returns tote taken from
	Expiry    *time.Time    `json:"expiry,omitempty"` // move: the expiry a returned lot's label says
	Suggested string        `json:"suggested,omitempty"`
	Count     string        `json:"count,omitempty"`   // count: the cycle count in hand
	Counted   int           `json:"counted,omitempty"` // count: units scanned so far
	Task      string        `json:"task,omitempty"`    // replenish: the task in hand
}

// workEntry is the stored record of a work message with its verdict.
type workEntry struct {
	Kind   pickwave.WorkKind   `json:"kind"`
	Record pickwave.ScanRecord `json:"record"`
}

// workJudged is the payload of a work.judged event.
type workJudged struct {
	User   string            `json:"user"`
	ScanID string            `json:"scan_id"`
	Kind   pickwave.WorkKind `json:"kind"`
	Step   pickwave.Step     `json:"step"`
	Code   string            `json:"code"`
	Qty    int               `json:"qty,omitempty"`
}

func workKey(user string, kind pickwave.WorkKind) []byte { return joinKey(user, string(kind)) }

func (t *txn) workState(user string, kind pickwave.WorkKind) (*workState, error) {
	st := new(workState)
	if _, err := t.getJSON(spaceWork, workKey(user, kind), st); err != nil {
		return nil, err
	}
	return st, nil
}

func (t *txn) putWorkState(user string, kind pickwave.WorkKind, st *workState) error {
	if *st == (workState{}) {
		return t.Delete(spaceWork, workKey(user, kind))
	}
	return t.putJSON(spaceWork, workKey(user, kind), st)
}

// WorkPrompt says what the user should do now in work of the kind.
func (db *DB) WorkPrompt(ctx context.Context, user string, kind pickwave.WorkKind) (*pickwave.WorkPrompt, error) {
	if kind == pickwave.WorkPick || !kind.Valid() {
		return nil, fieldErr("kind", "must be one of receive, putaway, count, replenish, move")
	}
	var p *pickwave.WorkPrompt
	err := db.update(ctx, func(t *txn) error {
		st, err := t.workState(user, kind)
		if err != nil {
			return err
		}
		if p, err = t.workPrompt(user, kind, st); err != nil {
			return err
		}
		return t.putWorkState(user, kind, st)
	})
	return p, err
}

// Work judges and applies one work message.
func (db *DB) Work(ctx context.Context, user string, req pickwave.WorkRequest) (*pickwave.WorkResult, error) {
	if err := checkScanRequest(req.ID, req.Device, len(req.Data)); err != nil {
		return nil, err
	}
	var fe pickwave.FieldErrors
	if req.Kind == pickwave.WorkPick || !req.Kind.Valid() {
		fe.Add("kind", "must be one of receive, putaway, count, replenish, move")
	}
	if req.Count < 0 || req.Count > pickwave.MaxLineQty {
		fe.Add("count", "must be between 0 and %d", pickwave.MaxLineQty)
	}
	switch req.Action {
	case pickwave.ActionScan, pickwave.ActionDone, pickwave.ActionAll, pickwave.ActionCancel:
	default:
		fe.Add("action", "must be empty, done, all or cancel")
	}
	if req.Reason != "" && !pickwave.ValidReceiptReason(req.Reason) {
		fe.Add("reason", "must be one of %v", pickwave.ReceiptReasons)
	}
	if err := fe.Err("The work message is not valid."); err != nil {
		return nil, err
	}
	var res *pickwave.WorkResult
	err := db.update(ctx, func(t *txn) (err error) {
		res, err = t.work(user, req)
		return err
	})
	return res, err
}

func (t *txn) work(user string, req pickwave.WorkRequest) (*pickwave.WorkResult, error) {
	key := joinKey(user, req.ID)
	var prior workEntry
	if ok, err := t.getJSON(spaceWorkLog, key, &prior); err != nil {
		return nil, err
	} else if ok {
		st, err := t.workState(user, prior.Kind)
		if err != nil {
			return nil, err
		}
		p, err := t.workPrompt(user, prior.Kind, st)
		if err != nil {
			return nil, err
		}
		return &pickwave.WorkResult{ScanID: req.ID, Verdict: prior.Record.Verdict, Prompt: *p, Replayed: true}, nil
	}
	st, err := t.workState(user, req.Kind)
	if err != nil {
		return nil, err
	}
	raw := gs1.TrimScan(req.Data)
	rec := pickwave.ScanRecord{ID: req.ID, User: user, Device: req.Device, Raw: raw, At: t.now, Attempts: 1}
	if req.Action != "" {
		rec.Raw = req.Action
	}
	// The prompt first: it settles the step (a count task taken, a
	// replenishment assigned) that the message is judged against.
	if _, err := t.workPrompt(user, req.Kind, st); err != nil {
		return nil, err
	}
	rec.Step = st.Step
	w := workTurn{t: t, user: user, st: st, req: req, raw: raw}
	if req.Action == pickwave.ActionCancel {
		rec.Verdict = w.cancel()
	} else {
		switch req.Kind {
		case pickwave.WorkReceive:
			rec.Verdict, err = w.receive()
		case pickwave.WorkPutaway:
			rec.Verdict, err = w.putaway()
		case pickwave.WorkMove:
			rec.Verdict, err = w.move()
		case pickwave.WorkCount:
			rec.Verdict, err = w.count()
		case pickwave.WorkReplenish:
			rec.Verdict, err = w.replenish()
		}
		if err != nil {
			return nil, err
		}
	}
	p, err := t.workPrompt(user, req.Kind, st)
	if err != nil {
		return nil, err
	}
	rec.Verdict.Next = p.Step
	if err := t.putWorkState(user, req.Kind, st); err != nil {
		return nil, err
	}
	seq, err := t.appendEvent(pickwave.EventWorkJudged, "user/"+user, workJudged{User: user, ScanID: req.ID,
		Kind: req.Kind, Step: rec.Step, Code: rec.Verdict.Code, Qty: rec.Verdict.Qty})
	if err != nil {
		return nil, err
	}
	rec.Seq = seq
	if err := t.putJSON(spaceWorkLog, key, workEntry{Kind: req.Kind, Record: rec}); err != nil {
		return nil, err
	}
	return &pickwave.WorkResult{ScanID: req.ID, Verdict: rec.Verdict, Prompt: *p}, nil
}

// workTurn is one work message being judged.
type workTurn struct {
	t    *txn
	user string
	st   *workState
	req  pickwave.WorkRequest
	raw  string
}

func accept(format string, args ...any) pickwave.Verdict {
	return pickwave.Verdict{Code: pickwave.VerdictOK, Message: fmt.Sprintf(format, args...)}
}

func refuse(code, format string, args ...any) pickwave.Verdict {
	return pickwave.Verdict{Code: code, Message: fmt.Sprintf(format, args...)}
}

// cancel drops the task in hand: nothing moves. A receiver leaves the
// notice (and receives blind from then on).
func (w *workTurn) cancel() pickwave.Verdict {
	kind := w.req.Kind
	if *w.st == (workState{}) || w.st.Step == pickwave.StepIdle {
		return refuse(pickwave.VerdictNoTask, "Nothing in hand to cancel.")
	}
	if kind == pickwave.WorkCount || kind == pickwave.WorkReplenish {
		// The task goes back to the queue for anyone.
		w.st.Counted, w.st.Step = 0, ""
		w.st.Count, w.st.Task = "", ""
		return accept("Put back in the queue; nothing changed.")
	}
	*w.st = workState{}
	return accept("Cancelled; nothing changed.")
}

// workPrompt settles the state's step and says it.
func (t *txn) workPrompt(user string, kind pickwave.WorkKind, st *workState) (*pickwave.WorkPrompt, error) {
	p := &pickwave.WorkPrompt{Kind: kind}
	switch kind {
	case pickwave.WorkReceive:
		return t.receivePrompt(st, p)
	case pickwave.WorkPutaway:
		return t.putawayPrompt(st, p)
	case pickwave.WorkMove:
		return t.movePrompt(st, p)
	case pickwave.WorkCount:
		return t.countPrompt(user, st, p)
	case pickwave.WorkReplenish:
		return t.replenishPrompt(user, st, p)
	}
	return nil, fmt.Errorf("work prompt: unknown kind %q", kind)
}

// scanned is what a work scan reads as: a location, a SKU (with its pack
// quantity and GS1 lot and expiry) or neither.
type scanned struct {
	location *pickwave.Location
	facts    scanFacts
	verdict  *pickwave.Verdict // set when the scan is unreadable or unknown
}

// scanFacts is the product side of a scan.
type scanFacts struct {
	SKU     *pickwave.SKU
	PackQty int
	Data    gs1.Data
}

// read resolves a scan to a location or a product.
func (w *workTurn) read() (scanned, error) {
	var s scanned
	if w.raw == "" {
		v := refuse(pickwave.VerdictBadBarcode, "The scan was empty.")
		s.verdict = &v
		return s, nil
	}
	if w.t.Get(spaceLocations, []byte(w.raw)) != nil {
		loc, err := w.t.location(w.raw)
		s.location = loc
		return s, err
	}
	f, err := w.t.resolveScan(w.raw, nil)
	if err != nil {
		return s, err
	}
	if f.SKU == "" {
		v := refuse(pickwave.VerdictUnknownBarcode, "%s is no location or product known here.", echoScan(w.raw))
		if f.ParseErr != nil {
			v = refuse(pickwave.VerdictBadBarcode, "The barcode did not read right: %v. Scan it again.", f.ParseErr)
		}
		s.verdict = &v
		return s, nil
	}
	sku, err := w.t.sku(f.SKU)
	if err != nil {
		return s, err
	}
	s.facts = scanFacts{SKU: sku, PackQty: f.PackQty, Data: f.Data}
	return s, nil
}

// units is how many units a product scan counts: its pack times the keyed
// count (0 means one pack).
func (w *workTurn) units(f scanFacts) int {
	return f.PackQty * max(1, w.req.Count)
}

// echoScan bounds an echo of scanned data in a message.
func echoScan(s string) string {
	const n = 40
	if len(s) > n {
		return s[:n] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
