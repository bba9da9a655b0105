// Package carrier implements pickwave.Carrier: Local, the own fleet or a
// collection service, which numbers its shipments itself in UPU S10 form,
// and HTTP, an adapter for a carrier service that takes a shipment as
// JSON and answers with a tracking number and a label.
//
// # Numbers
//
// Tracking numbers and SSCCs are never reused. Local takes its serials
// from a Serials source; the product hands it the store's durable
// allocator (store.DB.NextTrackingSerial), which commits each serial to
// disk before returning it, so a crash loses at most a number, never
// issues one twice.
//
// # Errors
//
// Every error carries a pickwave code: EINVALID when the request or a
// number is at fault or the carrier refuses it (with the carrier's own
// message), EUNAVAILABLE when the carrier cannot be reached, times out,
// fails (5xx) or answers with something unreadable. Secrets (the bearer
// token) never appear in an error or a log line.
package carrier
