package pickwave

import (
	"context"
	"encoding/json"
	"time"
)

// Event is one entry of the event log. Every state change appends one in
// the same transaction, so the log is a complete, ordered history that the
// floor dashboard, webhooks and KPIs read.
type Event struct {
	Seq     uint64          `json:"seq"`
	Type    string          `json:"type"`
	Entity  string          `json:"entity"`
	Time    time.Time       `json:"time"`
	Actor   string          `json:"actor"`
	Payload json.RawMessage `json:"payload"`
}

// Event types.
const (
	EventSKUCreated        = "sku.created"
	EventLocationCreated   = "location.created"
	EventStockAdjusted     = "stock.adjusted"
	EventStockMoved        = "stock.moved" // putaway, replenishment, a move: from one location to another
	EventOrderCreated      = "order.created"
	EventOrderAllocated    = "order.allocated"
	EventOrderCancelled    = "order.cancelled"
	EventOrderReleased     = "order.released"
	EventOrderReturned     = "order.returned" // back to the pool from a cancelled wave
	EventUserCreated       = "user.created"
	EventLayoutChanged     = "layout.changed"
	EventWavePlanned       = "wave.planned"
	EventWaveReleased      = "wave.released"
	EventWaveCancelled     = "wave.cancelled"
	EventWaveCompleted     = "wave.completed"
	EventOrderPicking      = "order.picking"
	EventOrderPicked       = "order.picked"
	EventCartAssigned      = "cart.assigned"
	EventCartDone          = "cart.done"
	EventCartUnassigned    = "cart.unassigned" // taken off its picker by a supervisor
	EventCartCancelled     = "cart.cancelled"  // nothing left on it to pick (CancelRest)
	EventWaveRestCancelled = "wave.rest_cancelled"
	EventDeviceSignedOut   = "device.signed_out" // a supervisor forced a device's logout
	EventToteBound         = "tote.bound"
	EventScanJudged        = "scan.judged"
	EventTaskPicked        = "task.picked"
	EventTaskShort         = "task.short"
	EventTaskAdded         = "task.added"
	EventCountRequested    = "count.requested"
	EventCountConfirmed    = "count.confirmed"
	EventCountRecount      = "count.recount"     // a blind count beyond tolerance: someone else counts again
	EventOrderBackordered  = "order.backordered" // a reservation moved and could not be covered
	EventOrderReallocated  = "order.reallocated" // a reservation moved off a location held for a count
	EventStationCreated    = "station.created"
	EventStationUpdated    = "station.updated"
	EventPrintQueued       = "print.queued"
	EventPrintSending      = "print.sending"
	EventPrintRetried      = "print.retried" // an attempt handed the printer nothing; queued again
	EventPrintPrinted      = "print.printed"
	EventPrintFailed       = "print.failed" // held for a person: may or may not have printed
	EventPrintCancelled    = "print.cancelled"

	// Packing and shipping. order.packed and order.shipped carry the
	// shipment: its id, the package count, carrier, service, tracking
	// numbers and tracking URLs (ShipmentEventPayload).
	EventShipmentCreated   = "shipment.created"
	EventShipmentVoided    = "shipment.voided"
	EventMispickAtPack     = "pack.mispick" // a wrong or extra item refused at a pack station
	EventWeightBlocked     = "pack.weight_blocked"
	EventWeightOverridden  = "pack.weight_overridden"
	EventOrderPacked       = "order.packed"
	EventOrderShipped      = "order.shipped"
	EventOrderShortShipped = "order.short_shipped" // shipped with fewer units than ordered

	// The pack bench, for the floor and KPIs (webhooks need not send them).
	EventPackSignedIn     = "pack.signed_in"
	EventPackSignedOut    = "pack.signed_out"
	EventPackStarted      = "pack.started"   // an order put on the bench
	EventPackScanned      = "pack.scanned"   // an item counted
	EventPackClosed       = "pack.closed"    // a package closed before the order's last item
	EventPackSetAside     = "pack.set_aside" // the order taken off the bench unfinished
	EventPackageLabelled  = "package.labelled"
	EventPackageReprinted = "package.reprinted"
	EventPackageVoided    = "package.voided"
	EventPackageShipped   = "package.shipped"

	// Inventory on the floor.
	EventInboundCreated   = "inbound.created"
	EventInboundReceived  = "inbound.received"   // a pallet, carton or item received at a dock
	EventInboundRefused   = "inbound.refused"    // a mis-receipt: recorded, nothing received
	EventInboundClosed    = "inbound.closed"     // with the lines short, if any
	EventWorkJudged       = "work.judged"        // a work message answered (receive, putaway, count, move...)
	EventReplenishDue     = "replenishment.due"  // a task to fill a pick face from reserve
	EventReplenishDone    = "replenishment.done" // the face filled
	EventReorderSuggested = "reorder.suggested"  // available stock across the site fell below the reorder point
	EventLocationUpdated  = "location.updated"   // a location's pick face set or cleared
	EventSKUUpdated       = "sku.updated"        // a SKU's reorder point and quantity changed
)

// EventService reads the event log.
type EventService interface {
	// Events returns up to limit events with a sequence above after.
	Events(ctx context.Context, after uint64, limit int) ([]*Event, error)
	// LastSeq is the sequence of the newest event, 0 for an empty log.
	LastSeq(ctx context.Context) (uint64, error)
}

type actorKey struct{}

// WithActor returns a context that names who acts, for the event log.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor named in ctx, or "system".
func ActorFrom(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "system"
}
