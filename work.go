package pickwave

import (
	"context"
	"slices"
	"time"
)

// WorkKind is a kind of floor task a handheld does. Picking has its own
// messages (take_cart, scan, short); the others go through Work.
type WorkKind string

// Work kinds.
const (
	WorkPick      WorkKind = "pick"
	WorkReceive   WorkKind = "receive"
	WorkPutaway   WorkKind = "putaway"
	WorkCount     WorkKind = "count"
	WorkReplenish WorkKind = "replenish"
	WorkMove      WorkKind = "move"
)

// WorkKinds lists every kind, in the order a handheld menu shows them.
var WorkKinds = []WorkKind{WorkPick, WorkReceive, WorkPutaway, WorkCount, WorkReplenish, WorkMove}

// workRoles says which roles may do which kinds. Pickers pick, count,
// replenish pick faces and move stock; packers work the dock (receive,
// put away) and put returns back; supervisors and admins cover anything.
var workRoles = map[Role][]WorkKind{
	RolePicker:     {WorkPick, WorkCount, WorkReplenish, WorkMove},
	RolePacker:     {WorkReceive, WorkPutaway, WorkMove},
	RoleSupervisor: WorkKinds,
	RoleAdmin:      WorkKinds,
}

// WorkKindsOf lists the kinds of work a role may do.
func WorkKindsOf(r Role) []WorkKind { return workRoles[r] }

// MayDo reports whether role r may do work of kind k.
func (r Role) MayDo(k WorkKind) bool { return slices.Contains(workRoles[r], k) }

// Valid reports whether k is a known kind.
func (k WorkKind) Valid() bool { return slices.Contains(WorkKinds, k) }

// Work steps: what a work task expects next.
const (
	StepReceive       Step = "receive"        // a pallet's SSCC, a carton or an item, or the notice's id
	StepPutawayItem   Step = "putaway_item"   // a received pallet's SSCC, or an item at the dock
	StepPutawayTo     Step = "putaway_to"     // the suggested location, or another
	StepMoveFrom      Step = "move_from"      // the location (or tote) to take from
	StepMoveItem      Step = "move_item"      // the item (with a count), or "all"
	StepMoveTo        Step = "move_to"        // the location to put it
	StepCountLocation Step = "count_location" // the location to count
	StepCountItem     Step = "count_item"     // each unit or pack, then "done"
	StepReplenishFrom Step = "replenish_from" // the reserve location
	StepReplenishTo   Step = "replenish_to"   // the pick face
	StepIdle          Step = "idle"           // nothing to do: no task waits
)

// Work actions: a work message without a scan.
const (
	ActionScan   = ""       // a barcode in Data
	ActionDone   = "done"   // the count is finished; the notice is complete
	ActionAll    = "all"    // move the whole lot
	ActionCancel = "cancel" // drop the task in hand; nothing moves
)

// Verdict codes of work tasks.
const (
	VerdictMisReceipt      = "mis_receipt"      // wrong item, lot or pallet for the notice: refused
	VerdictAlreadyReceived = "already_received" // the pallet was received before
	VerdictUnknownSSCC     = "unknown_sscc"     // a pallet nobody announced, with too little on its label
	VerdictOverReceipt     = "over_receipt"     // more than announced: scan again with a reason
	VerdictLotRequired     = "lot_required"     // a lot-tracked item without its lot
	VerdictNotHere         = "not_here"         // no such stock at the location
	VerdictNotAllowed      = "not_allowed"      // the location cannot take it (a dock, a held row)
)

// ReplenishStatus is where a replenishment task is.
type ReplenishStatus string

// Replenishment states.
const (
	ReplenishOpen ReplenishStatus = "open"
	ReplenishDone ReplenishStatus = "done"
)

// Replenishment reasons: what made a pick face due.
const (
	ReplenishBelowMin = "below_min" // available stock at the face dropped below its min
	ReplenishDemand   = "demand"    // orders need more than the face holds
	ReplenishShort    = "short"     // a picker found the face short
)

// Replenishment is a task to move stock from reserve to a pick face, up
// to the face's max, earliest expiry first (FEFO).
type Replenishment struct {
	ID         string          `json:"id"`
	Face       string          `json:"face"`
	SKU        string          `json:"sku"`
	Qty        int             `json:"qty"`
	Reason     string          `json:"reason"`
	Status     ReplenishStatus `json:"status"`
	AssignedTo string          `json:"assigned_to,omitempty"`
	From       string          `json:"from,omitempty"`
	Lot        string          `json:"lot,omitempty"`
	Moved      int             `json:"moved,omitempty"`
	// Waiting are the short pick tasks whose units wait for this task:
	// when it is done they are re-pointed to the face, on the same cart.
	Waiting []string `json:"waiting,omitempty"`
	// WaitingOrders are the orders of the Waiting tasks: while the task
	// is open and their cart is out, they are not finished short.
	WaitingOrders []string   `json:"waiting_orders,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	DoneAt        *time.Time `json:"done_at,omitempty"`
	DoneBy        string     `json:"done_by,omitempty"`
}

// WorkRequest is one message of a work task: a scan, or an action.
type WorkRequest struct {
	ID     string   `json:"id"`
	Device string   `json:"device"`
	Kind   WorkKind `json:"kind"`
	Data   string   `json:"data,omitempty"`
	Count  int      `json:"count,omitempty"`
	Action string   `json:"action,omitempty"`
	Reason string   `json:"reason,omitempty"`
}

// WorkPrompt is what a handheld shows for a work task: the step and what
// it is about. A count prompt never shows the book quantity.
type WorkPrompt struct {
	Kind    WorkKind `json:"kind"`
	Step    Step     `json:"step"`
	Say     string   `json:"say"` // the instruction, one sentence
	Notice  string   `json:"notice,omitempty"`
	Receipt string   `json:"receipt,omitempty"`
	SKU     string   `json:"sku,omitempty"`
	SKUName string   `json:"sku_name,omitempty"`
	Lot     string   `json:"lot,omitempty"`
	Qty     int      `json:"qty,omitempty"`
	From    string   `json:"from,omitempty"`
	To      string   `json:"to,omitempty"`
	// Suggested is the location putaway or replenishment proposes.
	Suggested string `json:"suggested,omitempty"`
	Count     string `json:"count,omitempty"` // the cycle count's id
	Counted   int    `json:"counted,omitempty"`
	// Waiting is how many tasks of the kind wait, this one included.
	Waiting int `json:"waiting"`
}

// WorkResult is the committed answer to a work message.
type WorkResult struct {
	ScanID   string     `json:"scan_id"`
	Verdict  Verdict    `json:"verdict"`
	Prompt   WorkPrompt `json:"prompt"`
	Replayed bool       `json:"replayed,omitempty"`
}

// WorkService runs the floor's inventory tasks for handhelds. Every
// answer is committed with its verdict before it is returned; a message
// id seen before is answered from record.
type WorkService interface {
	// WorkPrompt says what the user should do now in work of the kind.
	WorkPrompt(ctx context.Context, user string, kind WorkKind) (*WorkPrompt, error)
	// Work judges and applies one work message. EINVALID for a malformed
	// request.
	Work(ctx context.Context, user string, req WorkRequest) (*WorkResult, error)
}
