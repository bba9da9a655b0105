package pickwave

import (
	"context"
	"time"
)

// Step is what a task expects the picker to scan next.
type Step string

// Steps of a pick: confirm the location, scan each unit (or a case), then
// confirm the tote the units went into.
const (
	StepBindTote Step = "bind_tote" // before the first pick: a tote into each slot of the cart
	StepLocation Step = "location"
	StepItem     Step = "item"
	StepTote     Step = "tote"
)

// Verdict codes: every scan gets exactly one. Only VerdictOK moves the
// task on; every other code names what was wrong so the picker can fix it.
const (
	VerdictOK              = "ok"
	VerdictWrongLocation   = "wrong_location"
	VerdictUnknownBarcode  = "unknown_barcode"
	VerdictWrongItem       = "wrong_item"
	VerdictWrongTote       = "wrong_tote"
	VerdictOverPick        = "over_pick"
	VerdictLotNotHere      = "lot_not_here"
	VerdictExpired         = "expired"
	VerdictShortDated      = "short_dated"
	VerdictDuplicateSerial = "duplicate_serial"
	VerdictBadBarcode      = "bad_barcode" // unreadable: bad check digit, broken GS1 data
	VerdictNoTask          = "no_task"     // nothing to scan for: no cart or the cart is done
)

// VerdictCodes lists every verdict code, for documentation and tests.
var VerdictCodes = []string{
	VerdictOK, VerdictWrongLocation, VerdictUnknownBarcode, VerdictWrongItem, VerdictWrongTote,
	VerdictOverPick, VerdictLotNotHere, VerdictExpired, VerdictShortDated, VerdictDuplicateSerial,
	VerdictBadBarcode, VerdictNoTask,
}

// Verdict is the server's answer to one scan.
type Verdict struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Expected says what was expected when the scan was wrong, e.g. the
	// SKU and its name for a wrong item.
	Expected string `json:"expected,omitempty"`
	// Qty is how many units the scan counted (a case counts its pack).
	Qty int `json:"qty,omitempty"`
	// Next is the step the task now expects.
	Next Step `json:"next,omitempty"`
	// Short is how many units an accepted short report took off the
	// task, so that a handheld shows it as a short, not as a pick.
	Short int `json:"short,omitempty"`
}

// OK reports whether the scan was accepted.
func (v Verdict) OK() bool { return v.Code == VerdictOK }

// ScanRecord is the audit record of one scan, good or bad.
type ScanRecord struct {
	ID       string    `json:"id"`       // client-generated, unique per picker
	User     string    `json:"user"`     // who scanned
	Device   string    `json:"device"`   // which handheld
	Raw      string    `json:"raw"`      // exactly what the scanner sent
	Parsed   any       `json:"parsed"`   // GTIN, lot, expiry, serial when GS1
	TaskID   string    `json:"task_id"`  // the task it was checked against
	Step     Step      `json:"step"`     // what the task expected
	Verdict  Verdict   `json:"verdict"`  // the answer given
	At       time.Time `json:"at"`       // when the server committed it
	Seq      uint64    `json:"seq"`      // the event that recorded it
	Attempts int       `json:"attempts"` // how often the client sent it
}

// ShortReason says why a picker could not pick the full quantity.
type ShortReason string

// Short reasons.
const (
	ShortEmpty    ShortReason = "empty"
	ShortDamaged  ShortReason = "damaged"
	ShortCantFind ShortReason = "cant_find"
)

// Valid reports whether r is a known reason.
func (r ShortReason) Valid() bool {
	return r == ShortEmpty || r == ShortDamaged || r == ShortCantFind
}

// Prompt is what a handheld shows next: the step, and the task or the
// cart slot it is for. A nil Task with StepBindTote asks for a tote in
// Slot; Done says the cart is finished.
type Prompt struct {
	CartID string `json:"cart_id"`
	Step   Step   `json:"step"`
	Slot   int    `json:"slot,omitempty"`
	Task   *Task  `json:"task,omitempty"`
	// SKUName and ImageURL describe the task's item for the picker.
	SKUName  string `json:"sku_name,omitempty"`
	ImageURL string `json:"image_url,omitempty"`
	// TasksLeft counts the cart's open tasks, this one included.
	TasksLeft int  `json:"tasks_left"`
	Done      bool `json:"done,omitempty"`
	// NextStop previews the open task after this one in walking order
	// (while binding totes, the first one), so the picker knows where the
	// cart goes next; nil on the last task and when the cart is done.
	NextStop *NextStop `json:"next_stop,omitempty"`
	// DropOff, on a Done prompt, says where to leave the finished cart:
	// the layout's depot.drop_off, or the depot itself when none is set.
	DropOff string `json:"drop_off,omitempty"`
	// Notice tells the picker of a change a supervisor made: a cart taken
	// off or given to them, work on it cancelled.
	Notice string `json:"notice,omitempty"`
}

// NextStop previews a task still ahead on the cart.
type NextStop struct {
	TaskID   string `json:"task_id"`
	Location string `json:"location"`
	Aisle    int    `json:"aisle"`
	Bay      int    `json:"bay"`
	SKU      string `json:"sku"`
	SKUName  string `json:"sku_name,omitempty"`
	// Qty is the units still to pick there.
	Qty int `json:"qty"`
}

// ScanRequest is one scan from a handheld. ID is generated by the client
// and unique for the picker: a retried scan carries the same ID and gets
// the first answer back, applied once.
type ScanRequest struct {
	ID     string `json:"id"`
	Device string `json:"device"`
	Data   string `json:"data"`
	// Count is a keyed-in quantity of the scanned pack; 0 means 1.
	Count int `json:"count,omitempty"`
}

// ShortRequest reports that the current task cannot be picked in full.
// A short never changes stock by itself: the missing units come off the
// task, the location is held from allocation and a cycle count is raised.
// Found, when given, is how many units of the task's SKU and lot the
// picker counted left at the location (units already in hand not
// included); it is recorded as the count's first count, not applied.
type ShortRequest struct {
	ID     string      `json:"id"`
	Device string      `json:"device"`
	Reason ShortReason `json:"reason"`
	Found  *int        `json:"found,omitempty"`
}

// ScanResult is the committed answer to a scan or short report.
type ScanResult struct {
	ScanID  string  `json:"scan_id"`
	Verdict Verdict `json:"verdict"`
	Prompt  Prompt  `json:"prompt"`
	// Replayed says this answer was stored earlier: a retry.
	Replayed bool `json:"replayed,omitempty"`
}

// PickService runs the floor side of picking for handhelds. Every method
// returns after its change is committed to disk.
type PickService interface {
	// TakeCart gives the picker its cart in progress, or the next open
	// one, and what to do first; ENOTFOUND when no cart waits.
	TakeCart(ctx context.Context, picker string) (*Prompt, error)
	// Prompt says what the picker should do now; ENOTFOUND without a cart.
	Prompt(ctx context.Context, picker string) (*Prompt, error)
	// Scan judges and applies one scan, idempotently on its ID.
	Scan(ctx context.Context, picker string, req ScanRequest) (*ScanResult, error)
	// Short reports a short pick on the current task, idempotently on ID.
	Short(ctx context.Context, picker string, req ShortRequest) (*ScanResult, error)
}
