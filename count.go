package pickwave

import (
	"context"
	"time"
)

// CountStatus is where a cycle count is: open until a person with the
// right to change stock confirms what is on the shelf.
type CountStatus string

// Cycle count states.
const (
	CountOpen      CountStatus = "open"
	CountConfirmed CountStatus = "confirmed"
)

// CycleCount asks for one SKU lot at one location to be counted. A short
// pick raises it: the picker could not find what the books say is there.
// While it is open the stock row is held: nothing new is allocated there
// and the reservations of orders not yet released were moved elsewhere.
// Stock changes only when the count is confirmed.
type CycleCount struct {
	ID       string `json:"id"`
	Location string `json:"location"`
	SKU      string `json:"sku"`
	Lot      string `json:"lot,omitempty"`
	// Expected is the book quantity on hand when the count was raised.
	Expected int `json:"expected"`
	// Found is the picker's own count at the short, when given: how many
	// units were left at the location. It is a first count, recorded and
	// shown to whoever confirms, never applied by itself.
	Found  *int        `json:"found,omitempty"`
	Reason ShortReason `json:"reason"`
	Picker string      `json:"picker"`
	TaskID string      `json:"task_id"`
	At     time.Time   `json:"at"`
	Status CountStatus `json:"status"`

	// Counted is the confirmed count: the units on the shelf, not
	// counting units pickers took from it and still carry. OnHand became
	// Counted plus those units, a change of Delta.
	Counted     *int       `json:"counted,omitempty"`
	Delta       int        `json:"delta,omitempty"`
	ConfirmedBy string     `json:"confirmed_by,omitempty"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
	Note        string     `json:"note,omitempty"`

	// Source says what raised the count: a short (the default), a
	// replenishment that found the face short, or a person on demand.
	Source string `json:"source,omitempty"`
	// Attempts are the blind counts made on handhelds, first first. A
	// first count within the tolerance of the books is accepted; beyond
	// it, someone else counts again and that recount is accepted.
	Attempts []CountAttempt `json:"attempts,omitempty"`
	// AssignedTo is the user counting it now on a handheld.
	AssignedTo string `json:"assigned_to,omitempty"`
	// RightFirst, on a confirmed count, says the first count agreed with
	// the books within the tolerance: the inventory accuracy KPI.
	RightFirst *bool `json:"right_first,omitempty"`
}

// Count sources.
const (
	CountFromShort    = "short"
	CountFromDemand   = "demand"
	CountFromSchedule = "schedule"
)

// CountAttempt is one blind count of a cycle count.
type CountAttempt struct {
	By      string    `json:"by"`
	Counted int       `json:"counted"`
	At      time.Time `json:"at"`
}

// CountRequest asks for a count on demand: a SKU lot at a location.
type CountRequest struct {
	Location string `json:"location"`
	SKU      string `json:"sku"`
	Lot      string `json:"lot,omitempty"`
}

// InventoryAccuracy is the KPI of counts: the share of confirmed counts
// whose first count agreed with the books.
type InventoryAccuracy struct {
	Counted    int     `json:"counted"`     // confirmed counts with a first count on a handheld
	RightFirst int     `json:"right_first"` // of those, right at the first count
	Accuracy   float64 `json:"accuracy"`    // RightFirst / Counted; 1 when nothing was counted
}

// CountConfirmation is what a supervisor enters for a count: the units
// found on the shelf.
type CountConfirmation struct {
	Counted *int   `json:"counted"`
	Note    string `json:"note,omitempty"`
}

// Validate checks the confirmation's own fields.
func (c *CountConfirmation) Validate() error {
	var fe FieldErrors
	switch {
	case c.Counted == nil:
		fe.Add("counted", "is required: the units found on the shelf")
	case *c.Counted < 0 || *c.Counted > MaxLineQty:
		fe.Add("counted", "must be between 0 and %d", MaxLineQty)
	}
	if len(c.Note) > MaxNameLen {
		fe.Add("note", "is longer than %d characters", MaxNameLen)
	}
	return fe.Err("The count is not valid.")
}

// CountFilter selects cycle counts; the zero value selects all.
type CountFilter struct {
	Status CountStatus // "" for every status
}

// CountService lists and resolves cycle counts.
type CountService interface {
	// Counts lists cycle counts in the order they were raised, after the
	// given id. EINVALID for an unknown status.
	Counts(ctx context.Context, f CountFilter, after string, limit int) ([]*CycleCount, error)
	// Count returns one cycle count; ENOTFOUND.
	Count(ctx context.Context, id string) (*CycleCount, error)
	// ConfirmCount sets the stock row to the counted units (plus what
	// pickers took from it and still carry), logs the adjustment and
	// lifts the hold. EINVALID for a bad count, ENOTFOUND, ECONFLICT when
	// the count was confirmed already.
	ConfirmCount(ctx context.Context, id string, c CountConfirmation) (*CycleCount, error)
}

// CountRequestService raises counts on demand and reports their KPI
// (POST /api/v1/counts, GET /api/v1/counts/accuracy).
type CountRequestService interface {
	// RequestCount raises a count on demand and holds the row (created
	// true); the open count of the row when it has one (created false).
	// EINVALID, ENOTFOUND for no such stock.
	RequestCount(ctx context.Context, r CountRequest) (cc *CycleCount, created bool, err error)
	// Accuracy is the inventory accuracy KPI over confirmed counts.
	Accuracy(ctx context.Context) (*InventoryAccuracy, error)
}

// CountSchedule is the cycle count schedule by ABC class. SKUs are
// ranked by pick frequency (pick tasks over Window): class A is the SKUs
// that make the first ShareA of the picks, B those up to ShareB, C the
// rest and every SKU not picked. Each stock row is counted once every
// EveryA, EveryB or EveryC after its last confirmed count (or after the
// schedule first saw it), at most MaxPerRun counts raised per run.
type CountSchedule struct {
	Window                 time.Duration
	ShareA, ShareB         float64
	EveryA, EveryB, EveryC time.Duration
	MaxPerRun              int
}

// DefaultCountSchedule counts A items monthly, B quarterly and C yearly,
// ranking by the last 90 days' picks with the classic 80/15/5 split.
var DefaultCountSchedule = CountSchedule{
	Window: 90 * 24 * time.Hour, ShareA: 0.80, ShareB: 0.95,
	EveryA: 30 * 24 * time.Hour, EveryB: 91 * 24 * time.Hour, EveryC: 365 * 24 * time.Hour,
	MaxPerRun: 50,
}

// Validate checks the schedule.
func (s CountSchedule) Validate() error {
	var fe FieldErrors
	if s.Window < 24*time.Hour {
		fe.Add("window", "must be at least a day")
	}
	if !(s.ShareA > 0 && s.ShareA <= s.ShareB && s.ShareB <= 1) {
		fe.Add("share_a", "must be above 0 and at most share_b, which is at most 1")
	}
	if s.EveryA < 24*time.Hour || s.EveryB < s.EveryA || s.EveryC < s.EveryB {
		fe.Add("every_a", "must be at least a day, with every_a ≤ every_b ≤ every_c")
	}
	if s.MaxPerRun < 0 {
		fe.Add("max_per_run", "must not be negative")
	}
	return fe.Err("The count schedule is not valid.")
}

// ABC classes of SKUs by pick frequency.
const (
	ClassA = "A"
	ClassB = "B"
	ClassC = "C"
)

// ScheduledCounts is what one run of the schedule did.
type ScheduledCounts struct {
	// Classes is each SKU's class in this run.
	Classes map[string]string `json:"classes"`
	// Raised are the counts raised, most overdue first.
	Raised []*CycleCount `json:"raised"`
	// Due is how many rows were due, Raised included: more than Raised
	// when MaxPerRun cut the run short.
	Due int `json:"due"`
}
