package pickwave

import (
	"context"
	"time"
)

// WaveStatus is where a wave is in its life.
type WaveStatus string

// Wave states. A planned wave is a preview that holds no orders; release
// takes its orders and creates the pick tasks; a wave completes when every
// task is done, or is cancelled and gives its orders back.
const (
	WavePlanned   WaveStatus = "planned"
	WaveReleased  WaveStatus = "released"
	WaveCompleted WaveStatus = "completed"
	WaveCancelled WaveStatus = "cancelled"
)

// Wave is a group of orders planned onto carts together. Plan holds the
// planner's output (carts, routed stops, distances, baselines), kept as it
// was planned so that every figure can be checked later.
type Wave struct {
	ID     string     `json:"id"`
	Status WaveStatus `json:"status"`
	// Request is what the wave was planned from, defaults filled in; its
	// JSON name is "template", as it has been since the first version.
	Request PlanRequest `json:"template"`
	Orders  []string    `json:"orders"`
	// Plan is nil only in lists (Waves), which leave the plans out.
	Plan       *Plan        `json:"plan"`
	Progress   WaveProgress `json:"progress"`
	CreatedAt  time.Time    `json:"created_at"`
	CreatedBy  string       `json:"created_by"`
	ReleasedAt *time.Time   `json:"released_at,omitempty"`
	ClosedAt   *time.Time   `json:"closed_at,omitempty"`
}

// WaveProgress counts a wave's work done. Cancelled carts, tasks and
// units (CancelRest) stay in Carts, Tasks and Units and are counted apart:
// what is left to pick is Units - UnitsPicked - UnitsShort - UnitsCancelled,
// and a wave is over once CartsDone + CartsCancelled reaches Carts.
type WaveProgress struct {
	Carts          int `json:"carts"`
	CartsDone      int `json:"carts_done"`
	CartsCancelled int `json:"carts_cancelled,omitempty"`
	Tasks          int `json:"tasks"`
	TasksDone      int `json:"tasks_done"`
	TasksCancelled int `json:"tasks_cancelled,omitempty"`
	Units          int `json:"units"`
	UnitsPicked    int `json:"units_picked"`
	UnitsShort     int `json:"units_short"`
	UnitsCancelled int `json:"units_cancelled,omitempty"`
}

// CartStatus is where a cart is in its trip.
type CartStatus string

// Cart states.
const (
	CartOpen      CartStatus = "open"      // released, waiting for a picker
	CartPicking   CartStatus = "picking"   // a picker has it
	CartDone      CartStatus = "done"      // every task picked or short
	CartCancelled CartStatus = "cancelled" // its wave was cancelled
)

// CartTote is one slot of a cart and the order it holds.
type CartTote struct {
	Slot    int    `json:"slot"`
	OrderID string `json:"order_id"`
	// Tote is the barcode of the physical tote put in the slot, once the
	// picker has scanned it; "" until then.
	Tote string `json:"tote,omitempty"`
}

// Cart is one picker's trip through the aisles: a released PlanCart, with
// totes in slots and the tasks in walking order.
type Cart struct {
	ID        string     `json:"id"`
	WaveID    string     `json:"wave_id"`
	Status    CartStatus `json:"status"`
	Picker    string     `json:"picker,omitempty"`
	Totes     []CartTote `json:"totes"`
	Tasks     []string   `json:"tasks"`
	DistanceM float64    `json:"distance_m"`
	Zone      string     `json:"zone,omitempty"`
}

// TaskStatus is where a pick task is.
type TaskStatus string

// Task states.
const (
	TaskOpen      TaskStatus = "open"
	TaskPicked    TaskStatus = "picked"
	TaskShort     TaskStatus = "short"
	TaskCancelled TaskStatus = "cancelled"
)

// Task is one stop of a cart: take Qty of SKU (lot Lot) from Location into
// the tote in ToteSlot, for one order line.
type Task struct {
	ID       string     `json:"id"`
	WaveID   string     `json:"wave_id"`
	CartID   string     `json:"cart_id"`
	Seq      int        `json:"seq"` // 1-based walking order on the cart
	OrderID  string     `json:"order_id"`
	LineID   string     `json:"line_id"`
	SKU      string     `json:"sku"`
	Location string     `json:"location"`
	Aisle    int        `json:"aisle"`
	Bay      int        `json:"bay"`
	Lot      string     `json:"lot,omitempty"`
	Expiry   *time.Time `json:"expiry,omitempty"`
	Qty      int        `json:"qty"`
	Picked   int        `json:"picked"`
	Short    int        `json:"short"`
	ToteSlot int        `json:"tote_slot"`
	Status   TaskStatus `json:"status"`
}

// Remaining is what is still to pick.
func (t *Task) Remaining() int { return t.Qty - t.Picked - t.Short }

// PlanService keeps the site layout and plans waves on it.
type PlanService interface {
	// Layout returns the site layout; ENOTFOUND until one is set.
	Layout(ctx context.Context) (Layout, error)
	// SetLayout validates and stores the layout; EINVALID when it is not
	// valid or leaves a location outside it.
	SetLayout(ctx context.Context, l Layout) error
	// PlanWave selects allocated orders in no wave with the template,
	// batches and routes them with the seed, and stores the result as a
	// planned wave; TotesPerCart 0 means the default. EINVALID for a bad
	// template, ENOTFOUND without a layout, ECONFLICT when no order matches.
	PlanWave(ctx context.Context, tmpl WaveTemplate, seed uint64) (*Wave, error)
}

// WaveService runs the waves that PlanService planned.
type WaveService interface {
	// ReleaseWave takes the planned wave's orders and creates its carts and
	// tasks, atomically: ECONFLICT if any order has since changed or joined
	// another wave (plan again).
	ReleaseWave(ctx context.Context, id string) (*Wave, error)
	// CancelWave gives a wave's orders back to the pool; ECONFLICT once
	// picking has started.
	CancelWave(ctx context.Context, id string) (*Wave, error)
	// Wave returns one wave with its progress; ENOTFOUND.
	Wave(ctx context.Context, id string) (*Wave, error)
	// Waves lists waves, newest first, without their plans (Plan is nil),
	// which can be large; Wave has them.
	Waves(ctx context.Context, limit int) ([]*Wave, error)
	// Cart returns one cart; Task one task.
	Cart(ctx context.Context, id string) (*Cart, error)
	Task(ctx context.Context, id string) (*Task, error)
	// CartTasks returns a cart's tasks in walking order.
	CartTasks(ctx context.Context, cartID string) ([]*Task, error)

	// CancelRest cancels what has not started of a wave: every order of
	// it on which nothing has been picked or reported short goes back to
	// the pool, allocated as before, its tasks cancelled and its totes
	// taken off their carts; carts left with nothing to pick are
	// cancelled, or done when some of their tasks were. Orders already
	// started stay and are picked to the end. A planned wave is cancelled
	// whole (CancelWave). Idempotent: a retry finds nothing left to
	// cancel and reports nothing. ENOTFOUND.
	CancelRest(ctx context.Context, id string) (*WaveCancellation, error)
	// WaveCarts returns the carts of a released (or finished) wave with
	// how far each has got; ENOTFOUND; none for a planned wave.
	WaveCarts(ctx context.Context, waveID string) ([]*CartProgress, error)
	// ActiveCarts returns the carts of every released wave that are not
	// finished: waiting for a picker or being picked, oldest wave first.
	ActiveCarts(ctx context.Context) ([]*CartProgress, error)
	// UnassignCart takes a cart off its picker: it waits, open, for the
	// next picker to take it, with what was picked kept (units scanned
	// but not yet put in the tote are counted on their task). An open
	// cart is returned unchanged; ECONFLICT for a done or cancelled cart.
	UnassignCart(ctx context.Context, cartID string) (*CartChange, error)
	// AssignCart gives a cart to a named picker, taking it off the
	// picker who has it. EINVALID when no such user may pick; ECONFLICT
	// when the cart is done or cancelled or the picker has another cart.
	// Assigning a cart to the picker who has it changes nothing.
	AssignCart(ctx context.Context, cartID, picker string) (*CartChange, error)
}

// WaveCancellation is what CancelRest did: the wave as it is now, and
// what went back or was cancelled by this call (empty on a retry).
type WaveCancellation struct {
	Wave           *Wave    `json:"wave"`
	OrdersReturned []string `json:"orders_returned"`
	CartsCancelled []string `json:"carts_cancelled"`
	CartsDone      []string `json:"carts_done"`
	TasksCancelled int      `json:"tasks_cancelled"`
	UnitsCancelled int      `json:"units_cancelled"`
	// Pickers had a cart that changed; their handhelds are told.
	Pickers []string `json:"pickers"`
}

// CartProgress is a cart as the supervisor sees it: who has it and how
// far along its walk it is. A stop is a location; stop StopsDone+1 of
// Stops is the one the picker is at or walking to.
type CartProgress struct {
	Cart
	Stops       int `json:"stops"`
	StopsDone   int `json:"stops_done"`
	Units       int `json:"units"`
	UnitsPicked int `json:"units_picked"`
	UnitsShort  int `json:"units_short"`
	TasksDone   int `json:"tasks_done"`
	// Current is the next open task's location, "" when none is open.
	Current string `json:"current,omitempty"`
}

// CartChange is a cart after UnassignCart or AssignCart, and the pickers
// it was taken from and given to ("" for none).
type CartChange struct {
	Cart    *Cart  `json:"cart"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	Changed bool   `json:"changed"`
}
