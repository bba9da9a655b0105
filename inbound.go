package pickwave

import (
	"context"
	"slices"
	"time"
)

// LocationReceiving is the kind of a dock location where received stock
// waits for putaway. Nothing is allocated from it: stock becomes
// allocatable when it is put away at a pick location.
const LocationReceiving LocationKind = "receiving"

// LocationKinds lists every location kind.
var LocationKinds = []LocationKind{LocationPick, LocationReserve, LocationReceiving}

// InboundStatus is where an inbound notice is: open while goods are
// received against it, closed once the receiver (or a supervisor) says
// everything that came has been received.
type InboundStatus string

// Inbound notice states.
const (
	InboundOpen   InboundStatus = "open"
	InboundClosed InboundStatus = "closed"
)

// Limits of an inbound notice.
const (
	MaxInboundLines = 500
)

// InboundLineInput is one expected line of an inbound notice: a SKU, its
// lot and expiry when the supplier says them, the units, and the SSCC of
// the pallet or carton that carries them when it is labelled.
type InboundLineInput struct {
	SKU    string     `json:"sku"`
	Lot    string     `json:"lot,omitempty"`
	Expiry *time.Time `json:"expiry,omitempty"`
	Qty    int        `json:"qty"`
	SSCC   string     `json:"sscc,omitempty"`
}

// InboundInput is an advance shipping notice as a supplier or purchasing
// sends it. Reference is the supplier's document number: the same
// supplier and reference sent again with the same content is the same
// notice.
type InboundInput struct {
	Supplier  string             `json:"supplier"`
	Reference string             `json:"reference"`
	Dock      string             `json:"dock,omitempty"` // the receiving location; "" for the site's first
	Lines     []InboundLineInput `json:"lines"`
}

// Validate checks the notice's own fields. The SKUs, the dock and SSCC
// uniqueness across notices are checked by the store.
func (in *InboundInput) Validate() error {
	var fe FieldErrors
	in.validate(&fe)
	return fe.Err("The inbound notice is not valid.")
}

func (in *InboundInput) validate(fe *FieldErrors) {
	checkText(fe, "supplier", in.Supplier, true)
	checkCode(fe, "reference", in.Reference)
	if in.Dock != "" {
		checkCode(fe, "dock", in.Dock)
	}
	switch {
	case len(in.Lines) == 0:
		fe.Add("lines", "needs at least one line")
	case len(in.Lines) > MaxInboundLines:
		fe.Add("lines", "has more than %d lines", MaxInboundLines)
	}
	ssccs := map[string]int{}
	for i, l := range in.Lines {
		checkCode(fe, indexed("lines", i, "sku"), l.SKU)
		if l.Lot != "" {
			checkCode(fe, indexed("lines", i, "lot"), l.Lot)
		}
		if l.Qty < 1 || l.Qty > MaxLineQty {
			fe.Add(indexed("lines", i, "qty"), "must be between 1 and %d", MaxLineQty)
		}
		if l.SSCC != "" {
			if p := SSCCProblem(l.SSCC); p != "" {
				fe.Add(indexed("lines", i, "sscc"), "%s", p)
			} else if j, dup := ssccs[l.SSCC]; dup {
				fe.Add(indexed("lines", i, "sscc"), "is the same SSCC as lines[%d]: one pallet or carton is one line", j)
			} else {
				ssccs[l.SSCC] = i
			}
		}
	}
}

// SSCCProblem says what makes s unfit as an SSCC: "" when it is 18
// digits with a valid check digit.
func SSCCProblem(s string) string {
	if len(s) != 18 {
		return "must be 18 digits"
	}
	sum := 0
	for i := 0; i < 18; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return "must be 18 digits"
		}
		if i == 17 {
			break
		}
		d := int(c - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	if int(s[17]-'0') != (10-sum%10)%10 {
		return "has a wrong check digit"
	}
	return ""
}

// InboundLine is one expected line of a notice with what has been
// received against it.
type InboundLine struct {
	Line     int        `json:"line"` // 1-based
	SKU      string     `json:"sku"`
	Lot      string     `json:"lot,omitempty"`
	Expiry   *time.Time `json:"expiry,omitempty"`
	Qty      int        `json:"qty"`
	SSCC     string     `json:"sscc,omitempty"`
	Received int        `json:"received"`
}

// Discrepancy kinds: what about a receipt differed from its notice.
const (
	DiscrepancyOver  = "over"  // more units than the line expected
	DiscrepancyUnder = "under" // fewer, found when the notice was closed
	DiscrepancyMis   = "mis"   // the wrong item, lot or pallet: refused
	DiscrepancyBlind = "blind" // received with no notice to check it against
)

// Discrepancy records a difference between what came and what was
// announced, with the receiver's reason.
type Discrepancy struct {
	Kind   string    `json:"kind"`
	Line   int       `json:"line,omitempty"`
	SKU    string    `json:"sku,omitempty"`
	Lot    string    `json:"lot,omitempty"`
	SSCC   string    `json:"sscc,omitempty"`
	Qty    int       `json:"qty"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// ReceiptReasons are the reasons a receiver gives for an over-receipt or
// for closing a notice short.
var ReceiptReasons = []string{"supplier_over", "supplier_short", "damaged", "wrong_count_on_label", "other"}

// InboundNotice is an advance shipping notice as the warehouse works it.
type InboundNotice struct {
	ID            string        `json:"id"`
	Supplier      string        `json:"supplier"`
	Reference     string        `json:"reference"`
	Dock          string        `json:"dock"`
	Status        InboundStatus `json:"status"`
	Lines         []InboundLine `json:"lines"`
	Discrepancies []Discrepancy `json:"discrepancies"`
	InputHash     string        `json:"-"`
	CreatedAt     time.Time     `json:"created_at"`
	ClosedAt      *time.Time    `json:"closed_at,omitempty"`
	ClosedBy      string        `json:"closed_by,omitempty"`
}

// Receipt is stock received into a receiving location, one pallet, carton
// or item scan; putaway moves it out.
type Receipt struct {
	ID       string     `json:"id"`
	Notice   string     `json:"notice,omitempty"` // "" for a blind receipt
	Line     int        `json:"line,omitempty"`
	SSCC     string     `json:"sscc,omitempty"`
	SKU      string     `json:"sku"`
	Lot      string     `json:"lot,omitempty"`
	Expiry   *time.Time `json:"expiry,omitempty"`
	Qty      int        `json:"qty"`
	PutAway  int        `json:"put_away"`
	Location string     `json:"location"`
	By       string     `json:"by"`
	At       time.Time  `json:"at"`
}

// Left is what of the receipt still waits at the dock.
func (r *Receipt) Left() int { return r.Qty - r.PutAway }

// InboundClose closes a notice; Reason is required when a line is short.
type InboundClose struct {
	Reason string `json:"reason,omitempty"`
}

// InboundFilter selects notices; the zero value selects all.
type InboundFilter struct {
	Status InboundStatus
	After  string
	Limit  int
}

// ImportInbound is one notice of a CSV import with the input line of
// each of its lines.
type ImportInbound struct {
	Input *InboundInput
	Rows  []int
}

// InboundService takes in inbound notices.
type InboundService interface {
	// CreateInbound stores a notice; the same supplier and reference with
	// the same content returns the stored one and false. EINVALID for bad
	// fields, an unknown SKU or dock; ECONFLICT for a reference reused with
	// other content or an SSCC already announced.
	CreateInbound(ctx context.Context, in *InboundInput) (*InboundNotice, bool, error)
	// ImportInbound stores every notice, or none when any is refused
	// (EINVALID with every problem and its input line).
	ImportInbound(ctx context.Context, notices []ImportInbound) ([]*InboundNotice, error)
	// Inbound returns one notice; ENOTFOUND.
	Inbound(ctx context.Context, id string) (*InboundNotice, error)
	// Inbounds lists notices oldest first.
	Inbounds(ctx context.Context, f InboundFilter) ([]*InboundNotice, error)
	// CloseInbound closes a notice, recording short lines with the
	// reason; EINVALID without a reason when a line is short, ECONFLICT
	// when it is closed already.
	CloseInbound(ctx context.Context, id string, c InboundClose) (*InboundNotice, error)
	// Receipts lists receipts still waiting for putaway (all: every one).
	Receipts(ctx context.Context, all bool, after string, limit int) ([]*Receipt, error)
}

// ValidReceiptReason reports whether r is a known receipt reason.
func ValidReceiptReason(r string) bool { return slices.Contains(ReceiptReasons, r) }
