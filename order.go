package pickwave

import (
	"context"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
)

// OrderStatus is where an order is in its life.
type OrderStatus string

// Order states. An order is allocated (or backordered) on intake, joins a
// wave when released, is picked, packed and shipped; it can be cancelled
// until it is packed.
const (
	OrderAllocated   OrderStatus = "allocated"
	OrderBackordered OrderStatus = "backordered"
	OrderReleased    OrderStatus = "released"
	OrderPicking     OrderStatus = "picking"
	OrderPicked      OrderStatus = "picked"
	OrderPacked      OrderStatus = "packed"
	OrderShipped     OrderStatus = "shipped"
	OrderCancelled   OrderStatus = "cancelled"
)

// OrderStatuses lists every state, in the order an order moves through them.
var OrderStatuses = []OrderStatus{
	OrderAllocated, OrderBackordered, OrderReleased, OrderPicking,
	OrderPicked, OrderPacked, OrderShipped, OrderCancelled,
}

var orderTransitions = map[OrderStatus][]OrderStatus{
	OrderBackordered: {OrderAllocated, OrderCancelled},
	OrderAllocated:   {OrderBackordered, OrderReleased, OrderCancelled},
	OrderReleased:    {OrderAllocated, OrderPicking, OrderPicked, OrderCancelled},
	OrderPicking:     {OrderPicked},
	OrderPicked:      {OrderPacked},
	// A packed order whose package is voided is packed again.
	OrderPacked: {OrderShipped, OrderPicked},
}

// Valid reports whether s is a known order state.
func (s OrderStatus) Valid() bool { return slices.Contains(OrderStatuses, s) }

// CanMoveTo reports whether an order in state s may move to next.
func (s OrderStatus) CanMoveTo(next OrderStatus) bool {
	return slices.Contains(orderTransitions[s], next)
}

// Customer is who ordered.
type Customer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// Address is a postal address; Country is an ISO 3166-1 alpha-2 code.
type Address struct {
	Name       string `json:"name"`
	Address1   string `json:"address1"`
	Address2   string `json:"address2"`
	City       string `json:"city"`
	Region     string `json:"region"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// LineInput is one line of an incoming order.
type LineInput struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

// OrderInput is an order as a sales channel sends it.
type OrderInput struct {
	ExternalID string      `json:"external_id"`
	Customer   Customer    `json:"customer"`
	ShipTo     Address     `json:"ship_to"`
	Lines      []LineInput `json:"lines"`
	Carrier    string      `json:"carrier"`
	Service    string      `json:"service"`
	ShipBy     time.Time   `json:"ship_by"`
	Priority   int         `json:"priority"`
}

// Limits on an order's size.
const (
	MaxOrderLines = 500
	MaxLineQty    = 100000
	MaxPriority   = 9
)

// Validate checks an incoming order field by field.
func (in *OrderInput) Validate() error {
	var fe FieldErrors
	in.validate(&fe)
	return fe.Err("The order is not valid.")
}

func (in *OrderInput) validate(fe *FieldErrors) {
	checkCode(fe, "external_id", in.ExternalID)
	checkText(fe, "customer.name", in.Customer.Name, true)
	if in.Customer.Email != "" {
		if _, err := mail.ParseAddress(in.Customer.Email); err != nil || len(in.Customer.Email) > MaxNameLen {
			fe.Add("customer.email", "is not an e-mail address")
		}
	}
	checkText(fe, "customer.phone", in.Customer.Phone, false)
	checkText(fe, "ship_to.name", in.ShipTo.Name, true)
	checkText(fe, "ship_to.address1", in.ShipTo.Address1, true)
	checkText(fe, "ship_to.address2", in.ShipTo.Address2, false)
	checkText(fe, "ship_to.city", in.ShipTo.City, true)
	checkText(fe, "ship_to.region", in.ShipTo.Region, false)
	checkText(fe, "ship_to.postal_code", in.ShipTo.PostalCode, true)
	if c := in.ShipTo.Country; len(c) != 2 || strings.ToUpper(c) != c || !isLetters(c) {
		fe.Add("ship_to.country", "must be a two-letter ISO 3166 code such as \"US\"")
	}
	checkText(fe, "carrier", in.Carrier, true)
	checkText(fe, "service", in.Service, false)
	if in.ShipBy.IsZero() {
		fe.Add("ship_by", "is required (RFC 3339 time)")
	} else if y := in.ShipBy.Year(); y < 2000 || y > 2199 {
		fe.Add("ship_by", "must be a date between the years 2000 and 2199")
	}
	if in.Priority < 0 || in.Priority > MaxPriority {
		fe.Add("priority", "must be between 0 and %d", MaxPriority)
	}
	switch {
	case len(in.Lines) == 0:
		fe.Add("lines", "must have at least one line")
	case len(in.Lines) > MaxOrderLines:
		fe.Add("lines", "has more than %d lines", MaxOrderLines)
	}
	seen := make(map[string]bool, len(in.Lines))
	for i, l := range in.Lines {
		checkCode(fe, indexed("lines", i, "sku"), l.SKU)
		if seen[l.SKU] && l.SKU != "" {
			fe.Add(indexed("lines", i, "sku"), "repeats SKU %s: put its whole quantity on one line", l.SKU)
		}
		seen[l.SKU] = true
		if l.Qty < 1 || l.Qty > MaxLineQty {
			fe.Add(indexed("lines", i, "qty"), "must be between 1 and %d", MaxLineQty)
		}
	}
}

// Allocation is stock reserved for an order line at one location and lot.
type Allocation struct {
	Location string     `json:"location"`
	Lot      string     `json:"lot"`
	Expiry   *time.Time `json:"expiry,omitempty"`
	Qty      int        `json:"qty"`
}

// OrderLine is one line of an order with what is reserved for it.
type OrderLine struct {
	ID  string `json:"id"`
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
	// Allocated is reserved and not yet picked; Picked is in a tote;
	// Short was given up at picking, the stock not found.
	Allocated   int          `json:"allocated"`
	Picked      int          `json:"picked"`
	Short       int          `json:"short"`
	Allocations []Allocation `json:"allocations"`
}

// Missing is the quantity neither reserved, picked nor given up.
func (l *OrderLine) Missing() int { return l.Qty - l.Allocated - l.Picked - l.Short }

// StatusChange is one step of an order's timeline.
type StatusChange struct {
	Status OrderStatus `json:"status"`
	At     time.Time   `json:"at"`
	Actor  string      `json:"actor"`
	Note   string      `json:"note,omitempty"`
}

// Order is a customer order as the warehouse works it.
type Order struct {
	ID         string         `json:"id"`
	ExternalID string         `json:"external_id"`
	Status     OrderStatus    `json:"status"`
	Customer   Customer       `json:"customer"`
	ShipTo     Address        `json:"ship_to"`
	Lines      []OrderLine    `json:"lines"`
	Carrier    string         `json:"carrier"`
	Service    string         `json:"service"`
	ShipBy     time.Time      `json:"ship_by"`
	Priority   int            `json:"priority"`
	WaveID     string         `json:"wave_id,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
	Timeline   []StatusChange `json:"timeline"`
	// InputHash identifies the intake body, so a retry with the same body is
	// recognised and a different body under the same external id refused.
	InputHash string `json:"-"`
}

// OrderFilter selects orders to list. The zero value lists all, oldest first.
type OrderFilter struct {
	Status OrderStatus // "" for every status
	After  string      // list orders whose id sorts after this one
	Limit  int         // 0 for the default page size
}

// ImportOrder is one order of a bulk import with the input line (for
// example the CSV row) each of its lines came from, so errors name them.
type ImportOrder struct {
	Input *OrderInput
	Rows  []int // Rows[j] is the input line of Input.Lines[j]
}

// Validate checks the order and names the input line of every problem.
func (io ImportOrder) Validate() []FieldError {
	var fe FieldErrors
	io.Input.validate(&fe)
	for i := range fe {
		fe[i].Line = io.Row(lineIndex(fe[i].Field))
	}
	return fe
}

// Row returns the input line of the order's line j, or of its first line
// when j is out of range.
func (io ImportOrder) Row(j int) int {
	if j >= 0 && j < len(io.Rows) {
		return io.Rows[j]
	}
	if len(io.Rows) > 0 {
		return io.Rows[0]
	}
	return 0
}

// lineIndex returns j of a field named "lines[j]...", else -1.
func lineIndex(field string) int {
	rest, ok := strings.CutPrefix(field, "lines[")
	if !ok {
		return -1
	}
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return -1
	}
	j, err := strconv.Atoi(rest[:end])
	if err != nil {
		return -1
	}
	return j
}

// ImportResult reports what a CSV import did.
type ImportResult struct {
	Created  []*Order `json:"created"`
	Existing []*Order `json:"existing"`
}

// OrderService takes in orders and keeps their reservations.
type OrderService interface {
	// CreateOrder validates, stores and allocates an order. It is idempotent
	// on ExternalID: the same input again returns the stored order and
	// created=false; a different input under the same ExternalID is ECONFLICT.
	// EINVALID for bad fields, including unknown SKUs.
	CreateOrder(ctx context.Context, in *OrderInput) (o *Order, created bool, err error)
	// ImportOrders creates many orders in one transaction: all or none.
	// EINVALID lists every bad row by its input line.
	ImportOrders(ctx context.Context, orders []ImportOrder) (*ImportResult, error)
	// Order returns one order; ENOTFOUND.
	Order(ctx context.Context, id string) (*Order, error)
	// Orders lists orders matching the filter, in id order.
	Orders(ctx context.Context, f OrderFilter) ([]*Order, error)
	// CancelOrder cancels an order and releases its reservations; ENOTFOUND,
	// ECONFLICT when it is too late to cancel.
	CancelOrder(ctx context.Context, id, reason string) (*Order, error)
	// AllocateOrder retries the allocation of a backordered order.
	AllocateOrder(ctx context.Context, id string) (*Order, error)
}

func checkText(fe *FieldErrors, field, v string, required bool) {
	switch {
	case v == "" && required:
		fe.Add(field, "is required")
	case len(v) > MaxNameLen:
		fe.Add(field, "is longer than %d characters", MaxNameLen)
	default:
		for _, r := range v {
			if r < ' ' || r == 0x7f {
				fe.Add(field, "must not contain control characters")
				return
			}
		}
	}
}

func isLetters(s string) bool {
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
